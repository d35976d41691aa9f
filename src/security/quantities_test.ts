import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";
import { parseByteSize } from "./byte_size.ts";
import { parseRate } from "./rate.ts";

Deno.test("durations: units, numbers, refusals", () => {
  assert.equal(parseDuration("60s"), 60_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("14d"), 14 * 86_400_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration(1500), 1500);
  for (const bad of ["", "5", "5 minutes", "-1s", "1.5h", "1w"]) {
    assert.equal(parseDuration(bad), null, bad);
  }
  assert.equal(parseDuration(-1), null);
  assert.equal(formatDuration(60_000), "1m");
  assert.equal(formatDuration(90_000), "90s");
  assert.equal(formatDuration(3_600_000), "1h");
  assert.equal(formatDuration(1234), "1234ms");
});

Deno.test("byte sizes: binary and decimal units", () => {
  assert.equal(parseByteSize("1GiB"), 1024 ** 3);
  assert.equal(parseByteSize("500MB"), 500e6);
  assert.equal(parseByteSize("64 KiB"), 65536);
  assert.equal(parseByteSize("1024"), 1024);
  assert.equal(parseByteSize("1.5kib"), 1536);
  assert.equal(parseByteSize(10), 10);
  for (const bad of ["", "GiB", "1 GiBs", "-1", "1XB"]) assert.equal(parseByteSize(bad), null, bad);
});

Deno.test("rates: count per period", () => {
  assert.deepEqual(parseRate("100/min"), { count: 100, periodMs: 60_000 });
  assert.deepEqual(parseRate("5 / s"), { count: 5, periodMs: 1000 });
  assert.deepEqual(parseRate("1000/day"), { count: 1000, periodMs: 86_400_000 });
  assert.deepEqual(parseRate("10/hour"), { count: 10, periodMs: 3_600_000 });
  for (const bad of ["", "100", "0/min", "10/week", "ten/min", "10/"]) {
    assert.equal(parseRate(bad), null, bad);
  }
});
