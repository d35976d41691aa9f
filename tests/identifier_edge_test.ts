/**
 * Identifiers at the edge of a served appliance: entity ids, agent names and
 * audit notes that are not well-formed Unicode, hold control characters or
 * are huge are refused with 400 SX-INVALID-INPUT naming the field, through
 * the API, the proxy headers and the CLI, and never echoed back raw.
 */
import assert from "node:assert/strict";
import { listRecords } from "../src/audit/read_records.ts";
import { verifyChain } from "../src/audit/verify_chain.ts";
import { runCli } from "../src/cli/main.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { served } from "./helpers/served_gmail.ts";

const HOSTILE: [string, string][] = [
  ["NUL", "\u0000"],
  ["lone surrogate", "x\ud800"],
  ["ESC", "a\u001b[2Jb"],
  ["CR/LF", "a\r\nInjected: 1"],
  ["C1", "a\u009b31m"],
  ["bidi override", "admin\u202egnp.exe"],
  ["10k characters", "x".repeat(10_000)],
];

/** The refusal, checked: 400, the code, the field named, the value not echoed. */
async function refused(res: Response, field: string, value: string, what: string) {
  const text = await res.text();
  assert.equal(res.status, 400, `${what}: ${text}`);
  const body = JSON.parse(text);
  assert.equal(body.error.code, "SX-INVALID-INPUT", what);
  assert.ok(body.error.message.startsWith(`${field}: `), `${what}: ${body.error.message}`);
  assert.ok(!text.includes(value), `${what}: echoed raw`);
  assert.ok(!text.includes(JSON.stringify(value).slice(1, -1)), `${what}: echoed escaped`);
}

Deno.test("identifiers: the API refuses hostile entity ids and agent names", async () => {
  const env = await served(false);
  try {
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${env.base}${path}`, {
        ...init,
        headers: { ...env.good, "content-type": "application/json" },
      });
    for (const [what, value] of HOSTILE) {
      const session = await api("/v1/auth/sessions", {
        method: "POST",
        body: JSON.stringify({ entityId: value, flow: "device", providers: { gmail: {} } }),
      });
      await refused(session, "entityId", value, `session ${what}`);
      const q = encodeURIComponent(value.isWellFormed() ? value : "x\ufffd\u0000");
      await refused(await api(`/v1/connections?entityId=${q}`), "entityId", value, `list ${what}`);
      await refused(
        await api(`/v1/auth/status?entityId=${q}`),
        "entityId",
        value,
        `status ${what}`,
      );
      const agent = await api("/v1/agents", {
        method: "POST",
        body: JSON.stringify({ agentId: "agent-2", name: value }),
      });
      await refused(agent, "name", value, `agent name ${what}`);
      const agentId = await api("/v1/agents", {
        method: "POST",
        body: JSON.stringify({ agentId: value }),
      });
      await refused(agentId, "agentId", value, `agent id ${what}`);
    }
    // Ordinary text in any script still works.
    const ok = await api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({
        entityId: "Дмитрий José 山田",
        flow: "device",
        providers: { gmail: {} },
      }),
    });
    assert.equal(ok.status, 201, await ok.text());
    await env.stop();
    const verified = await verifyChain(env.appliance.database.db);
    assert.equal(verified.ok, true, JSON.stringify(verified));
  } finally {
    await env.close();
  }
});

Deno.test("identifiers: the proxy refuses hostile securix-* headers and audit notes", async () => {
  const env = await served(false);
  try {
    const target = "/proxy/gmail/gmail/v1/users/me/messages";
    const headers = (extra: [string, string][]) =>
      [
        ...Object.entries(env.good).filter(([n]) => !extra.some(([e]) => e === n)),
        ...extra,
      ] as [string, string][];
    // raw_http writes header text as UTF-8, as clients do: U+009B goes out as C2 9B.
    const cases: [string, string, string][] = [
      ["securix-entity-id", "alice\u009b31m", "C1 in entity id"],
      ["securix-entity-id", "a".repeat(10_000), "10k entity id"],
      ["securix-agent-id", "agent\u009b", "C1 in agent id"],
      ["x-securix-audit-note", "weekly \u0085digest", "C1 in note"],
      ["x-securix-audit-note", "n".repeat(2_000), "2k note"],
    ];
    for (const [name, value, what] of cases) {
      const reply = await rawRequest(env.port, { target, headers: headers([[name, value]]) });
      assert.ok(reply, what);
      assert.equal(statusOf(reply), 400, what);
      const text = reply.body;
      assert.equal(JSON.parse(text).error.code, "SX-INVALID-INPUT", what);
      assert.ok(JSON.parse(text).error.message.startsWith(`${name}: `), text);
      assert.ok(!text.includes(value.slice(0, 300)), `${what}: echoed`);
    }
    // ESC, NUL, CR/LF never get past the HTTP parser: refused before any handler runs.
    for (const bad of ["a\u001b[2Jb", "a\u0000b"]) {
      const reply = await rawRequest(env.port, {
        target,
        headers: headers([["securix-entity-id", bad]]),
      });
      assert.ok(reply === null || statusOf(reply) === 400, JSON.stringify(bad));
    }
    // A UTF-8 note (Cyrillic: its bytes include 0x81, which read as Latin-1 is C1) is kept as text.
    const note = "сводка за неделю";
    const good = await rawRequest(env.port, {
      target,
      headers: headers([["x-securix-audit-note", note]]),
    });
    assert.equal(statusOf(good!), 200);
    await env.stop();
    const records = await listRecords(env.appliance.database.db, { kinds: "proxy.request" });
    assert.deepEqual(records.map((r) => r.data.status), [400, 400, 400, 400, 400, 200]);
    assert.equal(records.at(-1)!.data.note, note);
    assert.ok(records.every((r) => r.entityId === null || r.entityId === "alice"));
    assert.equal((await verifyChain(env.appliance.database.db)).ok, true);
  } finally {
    await env.close();
  }
});

Deno.test("identifiers: the CLI refuses hostile agent ids, agent names and app names", async () => {
  const env = await served(false);
  try {
    const config = env.temp.configPath;
    await env.stop();
    for (const [what, value] of HOSTILE) {
      if (!value.isWellFormed()) continue; // argv cannot carry a lone surrogate
      for (
        const [args, field] of [
          [["agents", "add", "demo", "agent-9", "--name", value], "name"],
          [["agents", "add", "demo", value], "agentId"],
          [["apps", "create", value], "name"],
        ] as [string[], string][]
      ) {
        const io = captureIo();
        const code = await runCli(["--config", config, ...args], io.io);
        const said = [...io.out, ...io.err].join("\n");
        assert.notEqual(code, 0, `${args.join(" ")} (${what})`);
        assert.match(said, new RegExp(field), `${what}: ${said}`);
        assert.ok(!said.includes(value), `${what}: echoed`);
      }
    }
  } finally {
    await env.close();
  }
});
