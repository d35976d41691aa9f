/**
 * The failed-key lockout across two real `securix serve` processes on one
 * database file: wrong keys sent at once to both are held to
 * `auth_lockout.max_failures` in total, because each is reserved in the
 * database before its key is looked up.
 */
import assert from "node:assert/strict";
import { freePort, type ServerProcess, startServeProcess } from "./helpers/process.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const MAX_FAILURES = 6;
const GUESSES = 60;

Deno.test("lockout across two processes: concurrent wrong keys on both check no more than max_failures", async () => {
  const temp = await openTempAppliance({
    raw: {
      server: { listen: `127.0.0.1:${freePort()}`, workers: 1 },
      auth_lockout: { max_failures: MAX_FAILURES, window_s: 60 },
    },
  });
  temp.appliance.close();
  const processes: ServerProcess[] = [];
  try {
    processes.push(await startServeProcess({ cwd: temp.dir, timeoutMs: 60_000 }));
    processes.push(await startServeProcess({ cwd: temp.dir, timeoutMs: 60_000 }));
    const started = performance.now();
    const codes = await Promise.all(
      Array.from({ length: GUESSES }, async (_, i) => {
        const res = await fetch(`${processes[i % 2].baseUrl}/v1/agents`, {
          headers: { "securix-api-key": `sx_live_wrong${i}` },
        });
        return (await res.json()).error?.code as string;
      }),
    );
    const seen: Record<string, number> = {};
    for (const code of codes) seen[code] = (seen[code] ?? 0) + 1;
    console.log(
      `${GUESSES} concurrent wrong keys over 2 processes in ${
        Math.round(performance.now() - started)
      } ms`,
      seen,
    );
    assert.deepEqual(seen, {
      "SX-API-KEY-INVALID": MAX_FAILURES,
      "SX-AUTH-LOCKOUT": GUESSES - MAX_FAILURES,
    });
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await temp.cleanup();
  }
});
