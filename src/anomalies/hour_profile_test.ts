import assert from "node:assert/strict";
import { historyRange, HourHistogram, hourOfDay, unusualHour } from "./hour_profile.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;

Deno.test("hour profile: learns the hours of the history days, not today's", () => {
  const now = 100 * DAY + 15 * HOUR; // day 100, 15:00 UTC
  const { from, until } = historyRange(now, 14);
  assert.equal(until, 100 * DAY);
  assert.equal(from, 86 * DAY);
  const h = new HourHistogram(from, until);
  for (let day = 90; day < 100; day++) {
    h.add(day * DAY + 9 * HOUR + 5 * 60_000);
    h.add(day * DAY + 14 * HOUR);
  }
  h.add(80 * DAY + 3 * HOUR); // before the history
  h.add(100 * DAY + 2 * HOUR); // today
  const p = h.profile();
  assert.equal(p.days, 10);
  assert.equal(p.hours, (1 << 9) | (1 << 14));
  assert.equal(unusualHour(p, now - 6 * HOUR, 7), false, "09:00 is usual");
  assert.equal(unusualHour(p, now, 7), true, "15:00 is not");
  assert.equal(unusualHour(p, 101 * DAY + 3 * HOUR, 7), true, "03:00 is not");
  assert.equal(hourOfDay(101 * DAY + 3 * HOUR + 59 * 60_000), 3);
});

Deno.test("hour profile: silent until min_days of history, and without a profile", () => {
  const h = new HourHistogram(0, 10 * DAY);
  for (let day = 0; day < 6; day++) h.add(day * DAY + 9 * HOUR);
  const p = h.profile();
  assert.equal(p.days, 6);
  assert.equal(unusualHour(p, 10 * DAY + 3 * HOUR, 7), false);
  assert.equal(unusualHour(p, 10 * DAY + 3 * HOUR, 6), true);
  assert.equal(unusualHour(undefined, 10 * DAY + 3 * HOUR, 1), false);
  // Several calls on one day count once.
  const busy = new HourHistogram(0, 10 * DAY);
  for (let i = 0; i < 50; i++) busy.add(DAY + i * 60_000);
  assert.equal(busy.profile().days, 1);
});
