import assert from "node:assert/strict";
import { ConnectionBudget } from "./connection_budget.ts";

Deno.test("connection budget: takes up to the cap, releases, and a raised cap applies at once", () => {
  const budget = ConnectionBudget.create(2);
  assert.equal(budget.take(), true);
  assert.equal(budget.take(), true);
  assert.equal(budget.take(), false, "over the cap");
  assert.equal(budget.held, 2, "a refused take leaves nothing behind");
  budget.release();
  assert.equal(budget.take(), true);
  budget.add(1);
  assert.equal(budget.held, 3, "a bridged WebSocket counts twice, never refused");
  budget.max = 4;
  assert.equal(budget.take(), true);
  assert.equal(budget.take(), false);
  assert.throws(() => new ConnectionBudget(budget.buffer, 1), RangeError, "one cell, one isolate");
});

/** Workers running `body` (a module body that sees `ConnectionBudget`), removed after `run`. */
async function withWorkers<T>(
  count: number,
  body: string,
  run: (workers: Worker[]) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/taker.js`;
  await Deno.writeTextFile(
    script,
    `import { ConnectionBudget } from ${
      JSON.stringify(import.meta.resolve("./connection_budget.ts"))
    };\n${body}`,
  );
  const workers = Array.from(
    { length: count },
    () => new Worker(`file://${script}`, { type: "module" }),
  );
  try {
    return await run(workers);
  } finally {
    for (const worker of workers) worker.terminate();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Each worker's one answer to the message it is sent. */
function answers(workers: Worker[], message: (index: number) => unknown): Promise<number[]> {
  return Promise.all(workers.map((worker, index) =>
    new Promise<number>((resolve) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.postMessage(message(index));
    })
  ));
}

Deno.test("connection budget: isolates taking at once hold exactly the cap together", async () => {
  const budget = ConnectionBudget.create(50, 4);
  const body = `self.onmessage = ({ data }) => {
    const budget = new ConnectionBudget(data.buffer, data.isolate);
    let got = 0;
    for (let i = 0; i < 10000; i++) if (budget.take()) got++;
    self.postMessage(got);
  };`;
  await withWorkers(4, body, async (workers) => {
    const got = await answers(workers, (isolate) => ({ buffer: budget.buffer, isolate }));
    assert.equal(got.reduce((a, b) => a + b, 0), 50);
    assert.equal(budget.held, 50);
    // An isolate that ended gives back what it held, and only that.
    budget.forget(0);
    assert.equal(budget.held, 50 - got[0]);
    budget.forget(0);
    assert.equal(budget.held, 50 - got[0], "forgetting twice gives back nothing more");
  });
});

Deno.test("connection budget: two isolates racing for the last slot admit exactly one", async () => {
  // Rounds in lockstep (a spinning barrier in shared memory, so the two take
  // within nanoseconds of each other): each takes once with one slot left,
  // then isolate 0 notes how many got it and empties the budget. A
  // count-then-check budget lets both see the other's passing count and give
  // the slot back (none admitted).
  const ROUNDS = 100_000;
  const budget = ConnectionBudget.create(1, 2);
  // [arrived, admitted, left, rounds with none admitted, rounds with two]
  const control = new Int32Array(new SharedArrayBuffer(20));
  const body = `self.onmessage = ({ data }) => {
    const budget = new ConnectionBudget(data.buffer, data.isolate);
    const c = new Int32Array(data.control);
    for (let round = 1; round <= data.rounds; round++) {
      Atomics.add(c, 0, 1);
      while (Atomics.load(c, 0) < 2 * round) { /* the start line */ }
      if (budget.take()) Atomics.add(c, 1, 1);
      Atomics.add(c, 2, 1);
      while (Atomics.load(c, 2) < 2 * round) { /* both have taken */ }
      if (data.isolate === 0) {
        const admitted = Atomics.exchange(c, 1, 0);
        if (admitted !== 1) Atomics.add(c, admitted === 0 ? 3 : 4, 1);
        budget.forget(0);
        budget.forget(1);
      }
    }
    self.postMessage(0);
  };`;
  await withWorkers(2, body, async (workers) => {
    await answers(workers, (isolate) => ({
      buffer: budget.buffer,
      isolate,
      control: control.buffer,
      rounds: ROUNDS,
    }));
  });
  assert.deepEqual(
    { noneAdmitted: control[3], twoAdmitted: control[4] },
    { noneAdmitted: 0, twoAdmitted: 0 },
  );
  assert.equal(budget.held, 0);
});
