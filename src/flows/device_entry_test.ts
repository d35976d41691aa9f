import assert from "node:assert/strict";
import { createApp } from "../apps/app_store.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { hashDeviceCode } from "./device_code.ts";
import { DEVICE_FAILURES_PER_CLIENT, DeviceCodeError, enterDeviceCode } from "./device_entry.ts";
import type { FlowDeps } from "./flow_deps.ts";
import { findSessionByDeviceCode, insertSession } from "./session_store.ts";
import { InFlightGate } from "../../tests/helpers/in_flight_gate.ts";

const ADDRESS = "203.0.113.7";

function flowDeps(
  appliance: Awaited<ReturnType<typeof openTempAppliance>>["appliance"],
  more: Partial<FlowDeps> = {},
): FlowDeps {
  return {
    database: appliance.database,
    vault: appliance.vault,
    providers: { enabled: new Map(), known: new Set() },
    now: appliance.now,
    publicUrl: "http://127.0.0.1:1",
    sessionTtlMs: 10 * 60_000,
    deviceIntervalS: 5,
    ...more,
  };
}

/** The stable code an entry was refused with, or "ok". */
async function outcome(entry: Promise<unknown>): Promise<string> {
  try {
    await entry;
    return "ok";
  } catch (error) {
    if (!(error instanceof DeviceCodeError)) throw error;
    return `${error.status} ${error.code}`;
  }
}

const tally = (outcomes: string[]) =>
  Object.fromEntries(
    [...new Set(outcomes)].map((o) => [o, outcomes.filter((x) => x === o).length]),
  );

Deno.test("device entry: concurrent wrong codes from one address look up no more than the limit", async () => {
  const n = 30;
  const gate = new InFlightGate(n);
  const temp = await openTempAppliance();
  try {
    const deps = flowDeps(temp.appliance, {
      findDeviceCode: gate.hold(findSessionByDeviceCode),
    });
    const outcomes = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const code = `BCDF${"23456789"[i % 8]}${"GHJK"[i % 4]}LM`;
        const result = await outcome(
          enterDeviceCode(deps, { code, clientAddress: ADDRESS, bindingHash: "b" }),
        );
        gate.answered();
        return result;
      }),
    );
    assert.equal(gate.held, DEVICE_FAILURES_PER_CLIENT, "codes looked up");
    // The tenth wrong code was looked up, and its answer is the lockout.
    assert.deepEqual(tally(outcomes), {
      "400 SX-DEVICE-CODE-INVALID": DEVICE_FAILURES_PER_CLIENT - 1,
      "429 SX-DEVICE-LOCKED": n - DEVICE_FAILURES_PER_CLIENT + 1,
    });
  } finally {
    gate.close();
    await temp.cleanup();
  }
});

Deno.test("device entry: a valid code gives back the count it took; wrong ones keep theirs", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const deps = flowDeps(appliance);
    const app = await createApp(appliance.database.db, { name: "a", origins: [] }, {
      now: appliance.now,
    });
    const now = appliance.now();
    await insertSession(appliance.database.db, {
      id: "ses_device",
      appId: app.id,
      entityId: "e",
      flow: "device",
      providers: { gmail: { scopes: [], status: "pending" } },
      sxcHash: null,
      targetOrigin: null,
      returnUrl: null,
      deviceCodeHash: hashDeviceCode("BCDF2345"),
      pollIntervalS: 5,
      createdAt: now,
      expiresAt: now + 10 * 60_000,
    });
    const enter = (code: string) =>
      outcome(enterDeviceCode(deps, { code, clientAddress: ADDRESS, bindingHash: "b" }));
    for (let i = 0; i < DEVICE_FAILURES_PER_CLIENT - 1; i++) {
      assert.equal(await enter("ZZZZ-9999"), "400 SX-DEVICE-CODE-INVALID");
    }
    // One short of the limit: each valid entry (the bound browser coming back) takes the last
    // count and gives it back.
    for (let i = 0; i < 3; i++) assert.equal(await enter("bcdf-2345"), "ok");
    assert.equal(await enter("ZZZZ-9999"), "429 SX-DEVICE-LOCKED");
    assert.equal(await enter("bcdf-2345"), "429 SX-DEVICE-LOCKED", "locked out, valid or not");
  } finally {
    await temp.cleanup();
  }
});

Deno.test("device code entry: an IPv6 client's failures count per /64, so walking its addresses does not reset them", async () => {
  const temp = await openTempAppliance();
  try {
    const deps = flowDeps(temp.appliance);
    const outcomes: string[] = [];
    for (let i = 1; i <= DEVICE_FAILURES_PER_CLIENT + 1; i++) {
      outcomes.push(
        await outcome(enterDeviceCode(deps, {
          code: "ABCD-EFGH",
          clientAddress: `2001:db8:1:2::${i.toString(16)}`,
          bindingHash: "b",
        })),
      );
    }
    assert.equal(outcomes.at(-1), "429 SX-DEVICE-LOCKED", outcomes.join(", "));
  } finally {
    await temp.cleanup();
  }
});
