/**
 * How much audit a crash loses, measured against the real process: proxied
 * requests flow through `securix serve`, the process is killed with SIGKILL
 * mid-traffic, and the records that reached the database are compared with
 * the answers callers received. Proxy records are batched every 250 ms, so
 * the loss must stay within about one batch window, and what was written must
 * still verify as an unbroken chain.
 */
import assert from "node:assert/strict";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { runCliProcess, startServeProcess } from "./helpers/process.ts";
import { createDatabaseIn } from "./helpers/temp_appliance.ts";

/** The writer's interval (audit_writer.ts) plus scheduling slack on a busy 2-core machine. */
const WINDOW_MS = 250;
const SLACK_MS = 350;
/** Concurrent callers driving the traffic. */
const CALLERS = 4;

async function cli(dir: string, ...args: string[]): Promise<string> {
  const result = await runCliProcess(args, { cwd: dir });
  assert.equal(result.code, 0, `securix ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

interface Outcome {
  /** Answers callers received before the signal. */
  answeredAt: number[];
  /** `at` of every proxy.request record in the database afterwards (ms). */
  recordedAt: number[];
  signalAt: number;
  verify: { code: number; output: string };
}

/**
 * Runs `serve` on a fresh data dir, drives refused-and-audited proxy requests
 * from CALLERS callers for 1.6 s, sends `signal`, then reads the audit log back.
 */
async function trafficUntil(signal: Deno.Signal): Promise<Outcome> {
  const dir = await Deno.makeTempDir({ prefix: "securix-audit-crash-" });
  try {
    await Deno.mkdir(`${dir}/securix-data`);
    const key = encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
    await Deno.writeTextFile(`${dir}/securix-data/master.key`, key, { mode: 0o600 });
    await Deno.writeTextFile(
      `${dir}/securix.toml`,
      '[providers.github]\nclient_id = "x"\nclient_secret = "y"\n' +
        'api_base_url = "http://127.0.0.1:9"\n',
    );
    await createDatabaseIn(dir);
    const app = JSON.parse(await cli(dir, "apps", "create", "demo", "--json"));
    await cli(dir, "agents", "add", "demo", "agent-1");
    const serve = await startServeProcess({ cwd: dir, timeoutMs: 30_000 });
    // Every request is refused (no connection) and every refusal is audited:
    // traffic without an upstream, so the process does little but audit.
    const headers = {
      "securix-api-key": app.apiKey.key,
      "securix-entity-id": "nobody",
      "securix-agent-id": "agent-1",
    };
    const answeredAt: number[] = [];
    let stopping = false;
    const worker = async () => {
      while (!stopping) {
        try {
          const res = await fetch(`${serve.baseUrl}/proxy/github/repos/o/r`, { headers });
          await res.body?.cancel();
          if (res.status === 401) answeredAt.push(Date.now());
        } catch {
          return; // the process is gone
        }
      }
    };
    const workers = Array.from({ length: CALLERS }, worker);
    await new Promise((r) => setTimeout(r, 1_600));
    const signalAt = Date.now();
    stopping = true;
    await serve.stop(signal);
    await Promise.all(workers);
    const exported = await cli(dir, "audit", "export", "--kind", "proxy.request");
    const recordedAt = exported.trim().split("\n").filter(Boolean).map((l) =>
      Date.parse(JSON.parse(l).at)
    );
    const verified = await runCliProcess(["audit", "verify"], { cwd: dir });
    return {
      answeredAt: answeredAt.filter((t) => t <= signalAt),
      recordedAt,
      signalAt,
      verify: { code: verified.code, output: verified.stdout + verified.stderr },
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("audit: SIGKILL mid-traffic loses at most one batch window, and the chain still verifies", async () => {
  const { answeredAt, recordedAt, signalAt, verify } = await trafficUntil("SIGKILL");
  const lost = answeredAt.length - recordedAt.length;
  const lostWindowMs = signalAt - Math.max(...recordedAt);
  console.log(
    `audit crash window: ${answeredAt.length} answered, ${recordedAt.length} recorded, ` +
      `${lost} lost (the last ${lostWindowMs} ms before the kill)`,
  );
  assert.ok(recordedAt.length > 0, "batches were written before the kill");
  // A request in flight at the signal may be audited and answered, its answer
  // reaching its caller just after: at most one such per caller.
  assert.ok(
    lost >= -CALLERS,
    `${-lost} more records than answers, more than the ${CALLERS} callers`,
  );
  assert.ok(
    lostWindowMs <= WINDOW_MS + SLACK_MS,
    `lost ${lostWindowMs} ms of audit, more than one batch window (${WINDOW_MS} ms)`,
  );
  const inWindow = answeredAt.filter((t) => t > signalAt - WINDOW_MS - SLACK_MS).length;
  assert.ok(
    lost <= inWindow,
    `lost ${lost} records, but only ${inWindow} answers were that recent`,
  );
  assert.equal(verify.code, 0, `the chain survives the kill: ${verify.output}`);
});

Deno.test("audit: SIGTERM mid-traffic flushes every record before the process exits", async () => {
  const { answeredAt, recordedAt, verify } = await trafficUntil("SIGTERM");
  assert.ok(answeredAt.length > 100, `traffic flowed (${answeredAt.length} answers)`);
  // Requests in flight at the signal are answered and audited too, so there
  // may be more records than answers counted before it, never fewer.
  assert.ok(
    recordedAt.length >= answeredAt.length,
    `${answeredAt.length} answered but only ${recordedAt.length} recorded`,
  );
  assert.equal(verify.code, 0, verify.output);
});
