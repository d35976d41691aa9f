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

/** The writer's interval (audit_writer.ts) plus scheduling slack on a busy 2-core machine. */
const WINDOW_MS = 250;
const SLACK_MS = 350;

async function cli(dir: string, ...args: string[]): Promise<string> {
  const result = await runCliProcess(args, { cwd: dir });
  assert.equal(result.code, 0, `securix ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

Deno.test("audit: SIGKILL mid-traffic loses at most one batch window, and the chain still verifies", async () => {
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
    const app = JSON.parse(await cli(dir, "apps", "create", "demo", "--json"));
    await cli(dir, "agents", "add", "demo", "agent-1");
    const serve = await startServeProcess({ cwd: dir, timeoutMs: 30_000 });
    // Every request is refused (no connection) and every refusal is audited:
    // traffic without an upstream, so the process does nothing but audit.
    const headers = {
      "securix-api-key": app.apiKey.key,
      "securix-entity-id": "nobody",
      "securix-agent-id": "agent-1",
    };
    const answeredAt: number[] = [];
    let killed = false;
    const worker = async () => {
      while (!killed) {
        try {
          const res = await fetch(`${serve.baseUrl}/proxy/github/repos/o/r`, { headers });
          await res.body?.cancel();
          if (res.status === 401) answeredAt.push(Date.now());
        } catch {
          return; // the process is gone
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await new Promise((r) => setTimeout(r, 1_600));
    const killAt = Date.now();
    killed = true;
    await serve.stop("SIGKILL");
    await Promise.all(workers);

    const exported = await cli(dir, "audit", "export", "--kind", "proxy.request");
    const records = exported.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const answered = answeredAt.filter((t) => t <= killAt).length;
    const lost = answered - records.length;
    const newest = Math.max(...records.map((r) => Date.parse(r.at)));
    const lostWindowMs = killAt - newest;
    console.log(
      `audit crash window: ${answered} answered, ${records.length} recorded, ${lost} lost ` +
        `(the last ${lostWindowMs} ms before the kill)`,
    );
    assert.ok(records.length > 0, "batches were written before the kill");
    assert.ok(lost >= 0, "never more records than answers");
    assert.ok(
      lostWindowMs <= WINDOW_MS + SLACK_MS,
      `lost ${lostWindowMs} ms of audit, more than one batch window (${WINDOW_MS} ms)`,
    );
    const inWindow = answeredAt.filter((t) => t > killAt - WINDOW_MS - SLACK_MS).length;
    assert.ok(
      lost <= inWindow,
      `lost ${lost} records, but only ${inWindow} answers were that recent`,
    );

    const verified = await runCliProcess(["audit", "verify"], { cwd: dir });
    assert.equal(
      verified.code,
      0,
      `the chain survives the kill: ${verified.stdout}${verified.stderr}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
