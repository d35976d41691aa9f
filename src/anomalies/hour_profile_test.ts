import assert from "node:assert/strict";
import { historyRange, hourOfDay, unusualHour } from "./hour_profile.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;

Deno.test("hour profile: the history is the whole days before today; unusual means outside the learned hours", () => {
  const now = 100 * DAY + 15 * HOUR; // day 100, 15:00 UTC
  const { from, until } = historyRange(now, 14);
  assert.equal(until, 100 * DAY);
  assert.equal(from, 86 * DAY);
  const p = { hours: (1 << 9) | (1 << 14), days: 10, alertedHour: -1 };
  assert.equal(unusualHour(p, now - 6 * HOUR, 7), false, "09:00 is usual");
  assert.equal(unusualHour(p, now, 7), true, "15:00 is not");
  assert.equal(unusualHour(p, 101 * DAY + 3 * HOUR, 7), true, "03:00 is not");
  assert.equal(hourOfDay(101 * DAY + 3 * HOUR + 59 * 60_000), 3);
});

Deno.test("hour profile: silent until min_days of history, and without a profile", () => {
  const p = { hours: 1 << 9, days: 6, alertedHour: -1 };
  assert.equal(unusualHour(p, 10 * DAY + 3 * HOUR, 7), false);
  assert.equal(unusualHour(p, 10 * DAY + 3 * HOUR, 6), true);
  assert.equal(unusualHour(undefined, 10 * DAY + 3 * HOUR, 1), false);
});
