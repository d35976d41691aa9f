/**
 * The refresh race across serving isolates: one `securix serve` process with
 * `[server] workers = 2`, so two isolates with their own credential caches
 * share the port and the database. The provider (oidc-provider) rotates
 * refresh tokens and kills the grant when a rotated-out one comes back, so a
 * refresh token presented twice fails the test loudly; the refresh lease in
 * the database is what keeps it to one refresh per expiry.
 */
import assert from "node:assert/strict";
import {
  freePort,
  type ServerProcess,
  startServeProcess,
  untilWorkers,
} from "./helpers/process.ts";
import {
  assertOneRefresh,
  burst,
  consent,
  counterBy,
  raceEnv,
  tally,
  untilExpired,
} from "./helpers/refresh_race.ts";

Deno.test("refresh race across two serving isolates of one process: one refresh per expiry, no refresh token reuse", async () => {
  const port = freePort();
  const env = await raceEnv(port, { workers: 2 });
  // No kept-alive connections: each call is a new connection, spread by the kernel.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  let serve: ServerProcess | null = null;
  const logs = () => serve?.output() ?? "";
  try {
    serve = await startServeProcess({ cwd: env.temp.dir, port, timeoutMs: 60_000 });
    const proc = serve;
    await untilWorkers(proc, 2, 30_000);
    await consent(env, serve.baseUrl, logs);

    const accepted = () => counterBy(proc, "securix_http_accepted_connections_total", "isolate");
    for (const round of [1, 2]) {
      const before = await untilExpired(env);
      const acceptedBefore = await accepted();
      const statuses = await burst(env, [serve.baseUrl], client);
      const outcomes = await counterBy(serve, "securix_token_refreshes_total", "outcome");
      const acceptedAfter = await accepted();
      console.log(
        `round ${round}: ${env.oidc.stats.tokenCalls.refresh_token ?? 0} refresh call(s), ` +
          `statuses ${tally(statuses)}, refresh outcomes ${JSON.stringify(outcomes)}, ` +
          `accepted ${JSON.stringify(acceptedAfter)}`,
      );
      for (const isolate of ["0", "1"]) {
        assert.ok(
          (acceptedAfter[isolate] ?? 0) > (acceptedBefore[isolate] ?? 0),
          `isolate ${isolate} took no part in round ${round}`,
        );
      }
      await assertOneRefresh(env, round, before, statuses, outcomes.success ?? 0, logs);
    }
  } finally {
    client.close();
    await serve?.stop();
    await env.close();
  }
});
