/**
 * The shared rate-limit buckets in a real libSQL file, reached through two
 * independent connections as two appliance processes would (the clock is
 * injected; two real `securix serve` processes are in rate_limit_test.ts).
 * Syncs run one after the other: in one process, a second embedded
 * connection waiting for SQLite's lock would block the event loop the first
 * needs (see openSecondDatabase).
 */
import assert from "node:assert/strict";
import { databaseBuckets } from "../src/limits/bucket_store.ts";
import { openSecondDatabase, openTempAppliance } from "./helpers/temp_appliance.ts";

const SPEC = { count: 10, periodMs: 60_000, burst: 10 };
const LEASE_MS = 10_000;

Deno.test("two connections to one database file: leases are exclusive, unspent tokens go back, refill never exceeds burst, rows are swept", async () => {
  const temp = await openTempAppliance();
  const second = await openSecondDatabase(temp.appliance.config);
  try {
    const a = databaseBuckets(temp.appliance.database, LEASE_MS);
    const b = databaseBuckets(second, LEASE_MS);
    const claim = (returning: number, want: number, key = "k") => [{
      key,
      spec: SPEC,
      returning,
      want,
    }];
    let t = 5_000_000;

    const [a1] = await a.settle("a", claim(0, 10), t);
    assert.equal(a1.granted, 10, "the first claim on a fresh bucket gets the whole burst");
    const [b1] = await b.settle("b", claim(0, 10), t + 10);
    assert.equal(b1.granted, 0, "nothing left for the other process");
    assert.equal(b1.leasedByOthers, 10);

    // a spent 4 and hands 6 back 990 ms after b's sync; 990 ms refilled 0.165 of a token.
    t += 1000;
    const [a2] = await a.settle("a", claim(6, 0), t);
    assert.equal(a2.granted, 0);
    assert.ok(Math.abs(a2.tokens - 6.165) < 1e-9, `bucket holds ${a2.tokens}`);
    const [b2] = await b.settle("b", claim(0, 10), t + 1);
    assert.equal(b2.granted, 6, "b gets what a handed back, no more");

    // Handing back more than the lease held is ignored beyond the lease.
    const [b3] = await b.settle("b", claim(100, 0), t + 2);
    assert.ok(b3.tokens <= SPEC.burst, `bucket holds ${b3.tokens}`);
    assert.ok(Math.abs(b3.tokens - 6.165) < 0.01, `bucket holds ${b3.tokens}`);

    // A lease that expired is not handed back (its holder must have stopped spending it),
    // and refill never lifts the unclaimed tokens plus live leases above burst.
    const [b4] = await b.settle("b", claim(0, 6), t + 3);
    assert.equal(b4.granted, 6);
    t += LEASE_MS + 10;
    const [b5] = await b.settle("b", claim(6, 0), t);
    assert.ok(b5.tokens < 3, `an expired lease came back: ${b5.tokens}`);
    t += 10 * 60_000;
    const [a3] = await a.settle("a", claim(0, 3), t);
    assert.equal(a3.granted, 3);
    const [b6] = await b.settle("b", claim(0, 10), t + 1);
    assert.equal(b6.granted, 7, "burst 10: 3 leased to a, 7 left");

    const { rows } = await second.client.execute("SELECT count(*) AS n FROM rate_limit_buckets");
    assert.equal(Number(rows[0].n), 1);
    // Once the bucket would be full again and every lease expired, a sync sweeps the rows.
    t += 3_600_000;
    await a.settle("a", claim(0, 1, "other"), t);
    const left = await second.client.execute("SELECT key FROM rate_limit_buckets");
    assert.deepEqual(left.rows.map((r) => String(r.key)), ["other"]);
    const leases = await second.client.execute("SELECT key, holder FROM rate_limit_leases");
    assert.deepEqual(leases.rows.map((r) => `${r.key}/${r.holder}`), ["other/a"]);
  } finally {
    second.close();
    await temp.cleanup();
  }
});
