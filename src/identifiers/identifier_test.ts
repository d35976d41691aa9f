import assert from "node:assert/strict";
import { auditNoteSchema, entityIdSchema, textProblem } from "./identifier.ts";

const HOSTILE: [string, string][] = [
  ["NUL", "\u0000"],
  ["lone surrogate", "x\ud800"],
  ["ESC", "a\u001b[2Jb"],
  ["CR/LF", "a\r\nb"],
  ["TAB", "a\tb"],
  ["DEL", "a\u007f"],
  ["C1 CSI", "a\u009b31m"],
  ["line separator", "a\u2028b"],
  ["10k characters", "x".repeat(10_000)],
  ["empty", ""],
];

Deno.test("identifier: hostile entity ids are refused without repeating them", () => {
  for (const [what, value] of HOSTILE) {
    const result = entityIdSchema.safeParse(value);
    assert.equal(result.success, false, what);
    const message = result.error!.issues[0].message;
    assert.ok(!message.includes(value) || value === "", `${what}: ${message}`);
    assert.ok(!JSON.stringify(result.error!.issues).includes("x".repeat(300)), what);
  }
  assert.equal(entityIdSchema.safeParse("a\u202eb").success, false, "bidi override");
});

Deno.test("identifier: ordinary ids and notes in any script pass", () => {
  for (
    const value of [
      "alice",
      "user:42@example.com",
      "José",
      "Дмитрий",
      "山田",
      "🙂",
      "x".repeat(256),
    ]
  ) {
    assert.equal(textProblem(value, { max: 256, ids: true }), null, value);
  }
  assert.equal(entityIdSchema.safeParse("x".repeat(257)).success, false);
  assert.equal(
    auditNoteSchema.safeParse("عربى \u202b mixed").success,
    true,
    "notes may carry bidi",
  );
  assert.equal(auditNoteSchema.safeParse("n".repeat(1025)).success, false);
});
