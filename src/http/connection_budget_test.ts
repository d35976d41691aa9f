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

Deno.test("connection budget: isolates taking at once never hold more than the cap together", async () => {
  const budget = ConnectionBudget.create(50, 4);
  // Each worker runs ConnectionBudget itself on the same buffer, all at once.
  const dir = await Deno.makeTempDir();
  const script = `${dir}/taker.ts`;
  await Deno.writeTextFile(
    script,
    `import { ConnectionBudget } from ${
      JSON.stringify(import.meta.resolve("./connection_budget.ts"))
    };
    self.onmessage = ({ data }) => {
      const budget = new ConnectionBudget(data.buffer, data.isolate);
      let got = 0;
      for (let i = 0; i < 10000; i++) if (budget.take()) got++;
      self.postMessage(got);
    };`,
  );
  const workers = Array.from(
    { length: 4 },
    () => new Worker(`file://${script}`, { type: "module" }),
  );
  try {
    const got = await Promise.all(workers.map((worker) =>
      new Promise<number>((resolve) => {
        worker.onmessage = ({ data }) => resolve(data);
        worker.postMessage({ buffer: budget.buffer, isolate: workers.indexOf(worker) });
      })
    ));
    // Racing for the last slots may shed a few too many, never admit one too many.
    const total = got.reduce((a, b) => a + b, 0);
    assert.ok(total <= 50 && total >= 46, `${total} taken`);
    assert.equal(budget.held, total);
    // An isolate that ended gives back what it held.
    budget.forget(0);
    assert.equal(budget.held, total - got[0]);
  } finally {
    for (const worker of workers) worker.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});
