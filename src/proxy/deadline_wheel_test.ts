import assert from "node:assert/strict";
import { DeadlineWheel } from "./deadline_wheel.ts";

Deno.test("deadline wheel: expires overdue deadlines on a tick, never cancelled ones", async () => {
  let clock = 0;
  const wheel = new DeadlineWheel(5, () => clock);
  const fired: string[] = [];
  wheel.arm(100, () => fired.push("a"));
  const b = wheel.arm(100, () => fired.push("b"));
  wheel.arm(300, () => fired.push("c"));
  b.cancel();
  clock = 99;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(fired, [], "nothing is due yet");
  clock = 150;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(fired, ["a"]);
  clock = 1000;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(fired, ["a", "c"], "each fires once");
  assert.equal(wheel.size, 0);
  // The interval stops on the next idle tick.
  await new Promise((r) => setTimeout(r, 20));
});
