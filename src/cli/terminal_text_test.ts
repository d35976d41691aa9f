import assert from "node:assert/strict";
import { terminalLines, terminalText } from "./terminal_text.ts";

Deno.test("terminal text: control characters are shown, not obeyed", () => {
  assert.equal(terminalText("a\u001b[2Jb"), "a\\u001b[2Jb");
  assert.equal(terminalText("a\r\nb\tc"), "a\\u000d\\u000ab\\u0009c");
  assert.equal(
    terminalText("\u0000\u007f\u009b\u2028\u202e"),
    "\\u0000\\u007f\\u009b\\u2028\\u202e",
  );
  assert.equal(terminalText("x\ud800y"), "x\\ud800y");
  assert.equal(terminalText("Дмитрий 🙂 José"), "Дмитрий 🙂 José");
  assert.equal(terminalText("plain"), "plain");
});

Deno.test("terminal text: a JSON line stays JSON with the same value", () => {
  const value = { note: "a\u009bb\u2028c\u202ed", id: "x\u001b" };
  const line = terminalText(JSON.stringify(value));
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u001f\u007f-\u009f\u2028\u202e]/.test(line));
  assert.deepEqual(JSON.parse(line), value);
});

Deno.test("terminal text: terminalLines keeps the CLI's own line breaks only", () => {
  assert.equal(terminalLines("one\n\ttwo\u001b[1m\r"), "one\n\ttwo\\u001b[1m\\u000d");
});
