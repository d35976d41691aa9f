/**
 * The refresh race across processes: two real `securix serve` processes share
 * one encrypted database file and one master key. The provider (oidc-provider)
 * rotates refresh tokens and kills the grant when a rotated-out one comes back,
 * so a refresh token presented twice fails the test loudly.
 */
import { freePort, type ServerProcess, startServeProcess } from "./helpers/process.ts";
import {
  assertOneRefresh,
  burst,
  consent,
  counterBy,
  raceEnv,
  REQUESTS,
  tally,
  untilExpired,
} from "./helpers/refresh_race.ts";

Deno.test("refresh race across two appliance processes on one database: one refresh per expiry, no refresh token reuse", async () => {
  const portA = freePort();
  const env = await raceEnv(portA);
  const processes: ServerProcess[] = [];
  const logs = () => processes.map((p, i) => `--- process ${i}:\n${p.output()}`).join("\n");
  try {
    // Two OS processes, same securix.toml (same database file, same master key), own ports.
    processes.push(await startServeProcess({ cwd: env.temp.dir, port: portA, timeoutMs: 60_000 }));
    processes.push(await startServeProcess({ cwd: env.temp.dir, timeoutMs: 60_000 }));
    // Consent through process A; the calls alternate between the two.
    await consent(env, processes[0].baseUrl, logs);

    for (const round of [1, 2]) {
      const before = await untilExpired(env);
      const started = Date.now();
      const statuses = await burst(env, processes.map((p) => p.baseUrl));
      const ms = Date.now() - started;
      const outcomes = await Promise.all(
        processes.map((p) => counterBy(p, "securix_token_refreshes_total", "outcome")),
      );
      const { seen } = env.upstream;
      console.log(
        `round ${round}: ${REQUESTS} requests in ${ms} ms, ` +
          `${env.oidc.stats.tokenCalls.refresh_token ?? 0} refresh call(s), ` +
          `statuses ${tally(statuses)}, upstream accepted ${seen.accepted} ` +
          `rejected ${seen.rejected}, ${seen.tokens.size} distinct token(s), ` +
          `refresh outcomes A ${JSON.stringify(outcomes[0])} B ${JSON.stringify(outcomes[1])}`,
      );
      const successes = outcomes.reduce((n, o) => n + (o.success ?? 0), 0);
      await assertOneRefresh(env, round, before, statuses, successes, logs);
    }
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await env.close();
  }
});
