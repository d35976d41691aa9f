/**
 * Human approval, end to end: unmodified `googleapis` through the serving
 * runtime against the fake Gmail API, under an `approve` rule on
 * `users.messages.send`. The held call's webhook is received and verified
 * with `standardwebhooks`, its link is opened in Chromium, and every way an
 * approval ends (used once, denied, expired, a tampered retry, a held
 * request whose client leaves) is checked on both sides: what the caller
 * gets, and what the fake Gmail actually sent.
 */
/// <reference lib="dom" />
import assert from "node:assert/strict";
import { google } from "googleapis";
import { Webhook } from "standardwebhooks";
import { findApp } from "../src/apps/app_store.ts";
import { updateApp } from "../src/apps/update_app.ts";
import { runCli } from "../src/cli/main.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { explainSkip, hasChromium, launchChromium } from "./browser/chromium.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { type RulesEnv, rulesEnv, type RulesEnvOptions, toBase64Url } from "./helpers/rules_env.ts";

explainSkip("approval link in Chromium");

const HOUR = 3_600_000;
const SHOTS = new URL("../.test-artifacts/screenshots/", import.meta.url).pathname;

interface SdkError {
  status?: number;
  response?: {
    status?: number;
    data?: { error?: { code?: string; llmError?: string; details?: Record<string, unknown> } };
  };
}

interface Received {
  body: string;
  headers: Record<string, string>;
  type: string;
  data: Record<string, unknown>;
}

interface ApprovalEnv {
  env: RulesEnv;
  received: Received[];
  secret: string;
  clock: { now: number };
  /** The next webhook of `type` not seen before (bounded wait). */
  nextWebhook(type: string): Promise<Received>;
  api(path: string, init?: RequestInit, app?: string): Promise<Response>;
  close(): Promise<void>;
}

async function approvalEnv(
  rule: Record<string, unknown> = {},
  options: RulesEnvOptions = {},
): Promise<ApprovalEnv> {
  const clock = { now: Date.now() };
  const received: Received[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.text();
    const parsed = JSON.parse(body);
    received.push({
      body,
      headers: Object.fromEntries(req.headers),
      type: parsed.type,
      data: parsed.data,
    });
    return new Response(null, { status: 204 });
  });
  const env = await rulesEnv({
    rules: [{
      name: "send_needs_ok",
      target: "gmail.users.messages.send",
      effect: "approve",
      ...rule,
    }],
    raw: { webhooks: { allow_private_targets: true } },
    now: () => clock.now,
    runtime: { webhookPollMs: 20, approvalPollMs: 50 },
    ...options,
  });
  const { appliance } = env.temp;
  const app = (await findApp(appliance.database.db, "demo"))!;
  const { secret } = await addEndpoint(
    { db: appliance.database.db, vault: appliance.vault, now: () => clock.now },
    app.id,
    `http://127.0.0.1:${receiver.addr.port}/hook`,
    ["approval.requested", "approval.decided"],
  );
  const seen = new Set<Received>();
  return {
    env,
    received,
    secret,
    clock,
    async nextWebhook(type) {
      for (let i = 0; i < 400; i++) {
        const hit = received.find((r) => r.type === type && !seen.has(r));
        if (hit) {
          seen.add(hit);
          return hit;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no ${type} webhook arrived`);
    },
    api: (path, init = {}, appName) =>
      fetch(`${env.base}/v1${path}`, {
        ...init,
        headers: {
          "securix-api-key": env.apiKey(appName),
          "content-type": "application/json",
          ...init.headers,
        },
      }),
    async close() {
      await env.close();
      await receiver.shutdown();
    },
  };
}

function rfc822(to: string, subject = "Planning", body = "See you Thursday."): string {
  return [
    "From: Alice Martin <alice@acme.com>",
    `To: ${to}`,
    `Subject: ${subject}`,
    "MIME-Version: 1.0",
    'Content-Type: text/plain; charset="UTF-8"',
    "",
    body,
    "",
  ].join("\r\n");
}

const RAW = toBase64Url(rfc822("Bob Stone <bob@acme.com>"));

function gmailFor(env: RulesEnv, extra: Record<string, string> = {}, agent?: string) {
  const client = google.gmail({
    version: "v1",
    headers: { ...env.headers({ agent }), ...extra },
    retry: false,
  });
  return { users: client.users, options: { rootUrl: `${env.proxy("gmail")}/` } };
}

function send(env: RulesEnv, extra: Record<string, string> = {}, raw = RAW, agent?: string) {
  const { users, options } = gmailFor(env, extra, agent);
  return users.messages.send({ userId: "me", requestBody: { raw } }, options);
}

/** The SDK's rejection: its status, Securix code, llmError and details. */
async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (e) {
    const error = e as SdkError;
    const body = error.response?.data?.error;
    return {
      status: error.status ?? error.response?.status,
      code: body?.code,
      llmError: body?.llmError,
      details: body?.details ?? {},
    };
  }
  throw new Error("the call was not refused");
}

/** The operator lets the app key decide approvals (off by default: the agent holds that key). */
async function allowApiApprovals(t: ApprovalEnv, app = "demo"): Promise<void> {
  await updateApp(t.env.temp.appliance.database, app, { approvalsViaApi: true }, {
    now: () => t.clock.now,
    by: { actor: "cli" },
  });
}

async function approvalStatus(t: ApprovalEnv, id: string): Promise<string> {
  const res = await t.api(`/approvals/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()).status;
}

/** A browser form post as the page makes it: binding cookie from the GET, then the form. */
async function decideByForm(
  link: string,
  decision: "approve" | "deny",
  headers: Record<string, string> = {},
) {
  const page = await fetch(link, { headers: { accept: "text/html" } });
  const html = await page.text();
  const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0];
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const t = new URL(link).searchParams.get("t") ?? "";
  const url = new URL(link);
  url.search = "";
  return await fetch(url, {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ csrf, t, decision }),
  });
}

Deno.test({
  name:
    "approval: a held send is approved through the webhook's link in Chromium, then goes through exactly once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await approvalEnv();
    const { env } = t;
    try {
      const mark = await env.mark();
      const held = await refusal(send(env));
      assert.equal(held.status, 403);
      assert.equal(held.code, "SX-APPROVAL-REQUIRED");
      const id = held.details.approvalId as string;
      assert.match(id, /^apr_[a-z2-7]{16}$/);
      assert.equal(held.details.expiresAt, new Date(t.clock.now + HOUR).toISOString());
      assert.match(held.llmError ?? "", /^I asked alice to approve sending this email; I'll retry/);
      assert.equal(env.fake.seenBy("gmail").length, 0, "nothing reached Gmail");

      const requested = await t.nextWebhook("approval.requested");
      // Signed with the endpoint's secret (its timestamp is the injected clock: near enough now).
      new Webhook(t.secret).verify(requested.body, requested.headers);
      assert.throws(() =>
        new Webhook(t.secret).verify(requested.body.replace("bob@", "eve@"), requested.headers)
      );
      const data = requested.data as {
        approvalId: string;
        operation: string;
        agentId: string;
        entityId: string;
        expiresAt: string;
        summary: { text: string; recipients: string[]; subject: string };
        links: { approve: string; deny: string };
      };
      assert.equal(data.approvalId, id);
      assert.equal(data.operation, "gmail.users.messages.send");
      assert.equal(data.agentId, "agent-1");
      assert.equal(data.entityId, "alice");
      assert.deepEqual(data.summary.recipients, ["bob@acme.com"]);
      assert.equal(data.summary.subject, "Planning");
      assert.equal(data.summary.text, 'Send an email to bob@acme.com: "Planning"');
      assert.ok(!requested.body.includes("Thursday"), "never the message body");
      assert.ok(!requested.body.includes("tok-gmail"), "never a token");
      // The public URL (here http://localhost:<port>) names the appliance in links.
      assert.match(
        data.links.approve,
        new RegExp(`^http://localhost:${env.port}/approvals/${id}\\?t=[\\w-]{43}$`),
      );
      assert.notEqual(data.links.approve, data.links.deny);

      // Opening a link (a mail scanner does) decides nothing.
      const scanned = await fetch(data.links.approve);
      assert.equal(scanned.status, 200);
      assert.match(scanned.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assert.equal(await approvalStatus(t, id), "pending");

      // Still pending: a retry naming it waits.
      const early = await refusal(send(env, { "securix-approval-id": id }));
      assert.equal(early.code, "SX-APPROVAL-PENDING");
      // The same call again, without the header: the same approval, no second request to alice.
      const repeated = await refusal(send(env));
      assert.equal(repeated.code, "SX-APPROVAL-REQUIRED");
      assert.equal(repeated.details.approvalId, id);

      if (hasChromium) {
        const browser = await launchChromium();
        try {
          const context = await browser.newContext({
            viewport: { width: 1280, height: 800 },
            colorScheme: "light",
          });
          const page = await context.newPage();
          const problems: string[] = [];
          page.on("pageerror", (e) => problems.push(e.message));
          page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
          await page.goto(data.links.approve);
          assert.match(await page.locator("h1").innerText(), /agent-1 asks for your approval/);
          assert.match(await page.locator("main").innerText(), /bob@acme\.com/);
          assert.match(await page.locator("main").innerText(), /Planning/);
          await Deno.mkdir(SHOTS, { recursive: true });
          await page.screenshot({
            path: `${SHOTS}approval-live-desktop-light.png`,
            fullPage: true,
          });
          await page.locator("[data-approval-approve]").click();
          await page.waitForSelector("h1:text('Approved')");
          assert.deepEqual(problems, []);
        } finally {
          await browser.close();
        }
      } else {
        assert.equal((await decideByForm(data.links.approve, "approve")).status, 200);
      }
      assert.equal(await approvalStatus(t, id), "approved");
      const decided = await t.nextWebhook("approval.decided");
      new Webhook(t.secret).verify(decided.body, decided.headers);
      assert.equal(decided.data.approvalId, id);
      assert.equal(decided.data.decision, "approved");
      assert.equal(decided.data.decidedBy, "link");

      // The retry goes through once; the header never reaches Gmail.
      const retried = await send(env, { "securix-approval-id": id });
      assert.equal(retried.status, 200);
      assert.equal(env.fake.state.gmail.sent.length, 1);
      const upstream = env.fake.seenBy("gmail");
      assert.equal(upstream.length, 1);
      assert.equal(upstream[0].headers.get("securix-approval-id"), null);
      assert.equal(await approvalStatus(t, id), "used");

      const again = await refusal(send(env, { "securix-approval-id": id }));
      assert.equal(again.status, 403);
      assert.equal(again.code, "SX-APPROVAL-USED");
      assert.equal(env.fake.state.gmail.sent.length, 1, "exactly one send");

      // The used link says so, in a page rather than a trace.
      const late = await fetch(data.links.approve, { headers: { accept: "text/html" } });
      assert.equal(late.status, 410);
      assert.match(await late.text(), /Already done/);

      const audit = await env.audit(mark);
      const kinds = audit.map((r) => r.kind);
      assert.ok(kinds.includes("approval.requested"));
      const decidedRecord = audit.find((r) => r.kind === "approval.decided")!;
      assert.equal(decidedRecord.data.actor, "link");
      assert.equal(decidedRecord.data.decision, "approved");
      const proxied = audit.filter((r) => r.kind === "proxy.request").map((r) => [
        r.data.decision,
        r.data.status,
        r.data.rules,
      ]);
      assert.equal(t.received.filter((r) => r.type === "approval.requested").length, 1);
      assert.deepEqual(proxied, [
        ["denied", 403, ["send_needs_ok"]],
        ["denied", 403, ["send_needs_ok"]],
        ["denied", 403, ["send_needs_ok"]],
        ["allowed", 200, ["send_needs_ok"]],
        ["denied", 403, ["send_needs_ok"]],
      ]);
      const dump = await env.auditDump();
      assert.ok(!dump.includes("?t="), "no link token in the audit trail");
      assert.ok(!dump.includes("Planning"), "no subject (message content) in the audit trail");
      assert.ok(!dump.includes("Thursday"), "no body in the audit trail");
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "approval: the deny link ends it; a forged form, a tampered link and a second decision are refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await approvalEnv();
    const { env } = t;
    try {
      const held = await refusal(send(env));
      const id = held.details.approvalId as string;
      const { links } = (await t.nextWebhook("approval.requested")).data as {
        links: { approve: string; deny: string };
      };

      // A tampered token: a clear page, no decision.
      const forged = new URL(links.approve);
      forged.searchParams.set("t", "A".repeat(43));
      const bad = await fetch(forged, { headers: { accept: "text/html" } });
      assert.equal(bad.status, 404);
      const badText = await bad.text();
      assert.match(badText, /Link not valid/);
      assert.ok(!/at \w+ \(|\.ts:\d+/.test(badText), "no stack trace");

      // A cross-site post: the link token alone (no binding cookie, no CSRF token) does nothing.
      const url = new URL(links.approve);
      const csrfLess = await fetch(`${url.origin}${url.pathname}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          t: url.searchParams.get("t")!,
          decision: "approve",
          csrf: "x",
        }),
      });
      assert.equal(csrfLess.status, 403);
      assert.equal(await approvalStatus(t, id), "pending");
      // Another site's form with everything a page of ours would give (a leaked token): refused.
      for (
        const foreign of [
          { origin: "https://evil.example" },
          { "sec-fetch-site": "cross-site" },
        ] as Array<Record<string, string>>
      ) {
        const refused = await decideByForm(links.approve, "approve", foreign);
        assert.equal(refused.status, 403, JSON.stringify(foreign));
        assert.match(await refused.text(), /sent from another site/);
        assert.equal(await approvalStatus(t, id), "pending");
      }

      const denied = await decideByForm(links.deny, "deny");
      assert.equal(denied.status, 200);
      assert.match(await denied.text(), /Denied/);
      assert.equal(await approvalStatus(t, id), "denied");
      const decided = await t.nextWebhook("approval.decided");
      assert.equal(decided.data.decision, "denied");

      const retry = await refusal(send(env, { "securix-approval-id": id }));
      assert.equal(retry.code, "SX-APPROVAL-DENIED");
      assert.equal(env.fake.seenBy("gmail").length, 0);

      // Single use: neither link decides again.
      const twice = await decideByForm(links.approve, "approve");
      assert.equal(twice.status, 410);
      assert.match(await twice.text(), /Already denied/);
      // The app key (which the agent holds) does not decide by default; with the switch on,
      // a decided approval is closed there too.
      const viaApi = () =>
        t.api(`/approvals/${id}`, {
          method: "POST",
          body: JSON.stringify({ decision: "approve" }),
        });
      const disabled = await viaApi();
      assert.equal(disabled.status, 403);
      assert.equal((await disabled.json()).error.code, "SX-APPROVAL-API-DISABLED");
      await allowApiApprovals(t);
      const closed = await viaApi();
      assert.equal(closed.status, 409);
      assert.equal((await closed.json()).error.code, "SX-APPROVAL-CLOSED");

      // The agent sends the same call again without the header, in a loop: the denial at
      // once each time, and nobody is asked again (no approval, no webhook).
      const requests = () =>
        env.temp.appliance.database.client.execute(
          "SELECT count(*) AS n FROM webhook_deliveries WHERE event_type = 'approval.requested'",
        ).then((r) => Number(r.rows[0].n));
      for (let i = 0; i < 3; i++) {
        const again = await refusal(send(env));
        assert.equal(again.code, "SX-APPROVAL-DENIED");
        assert.equal(again.details.approvalId, id);
        assert.match(again.llmError ?? "", /denied this action\. Do not retry it/);
      }
      assert.equal(await requests(), 1);
      const all = await (await t.api("/approvals")).json();
      assert.deepEqual(all.approvals.map((a: { id: string }) => a.id), [id]);
      // Another call is asked about; after approval_ttl the denied one is too.
      const other = toBase64Url(rfc822("Bob Stone <bob@acme.com>", "Other"));
      assert.equal((await refusal(send(env, {}, other))).code, "SX-APPROVAL-REQUIRED");
      t.clock.now += HOUR + 1;
      const later = await refusal(send(env));
      assert.equal(later.code, "SX-APPROVAL-REQUIRED");
      assert.notEqual(later.details.approvalId, id);
      assert.equal(await requests(), 3);
      assert.equal(env.fake.seenBy("gmail").length, 0);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "approval: an approval expires (injected clock); the CLI lists and decides pending ones",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await approvalEnv();
    const { env } = t;
    try {
      // The CLI runs on the real clock, as the appliance does until the clock is moved below.
      const first = (await refusal(send(env))).details.approvalId as string;
      await t.nextWebhook("approval.requested");
      const cli = async (...args: string[]) => {
        const { io, out, err } = captureIo({ USER: "operator" });
        const code = await runCli(["--config", env.temp.configPath, "approvals", ...args], io);
        return { code, out: out.join("\n"), err: err.join("\n") };
      };
      const listed = await cli("list", "--status", "pending", "--json");
      assert.equal(listed.code, 0, listed.err);
      assert.deepEqual(JSON.parse(listed.out).map((a: { id: string }) => a.id), [first]);
      const approved = await cli("approve", first);
      assert.equal(approved.code, 0, approved.err);
      assert.match(approved.out, /Approved apr_\w+: Send an email to bob@acme\.com/);
      const again = await cli("deny", first);
      assert.notEqual(again.code, 0);
      assert.match(again.err, /SX-APPROVAL-CLOSED|already approved/);
      const table = await cli("list");
      assert.match(table.out, new RegExp(`${first}\\s+approved`));
      const ok = await send(env, { "securix-approval-id": first });
      assert.equal(ok.status, 200);

      const second = (await refusal(send(env))).details.approvalId as string;
      const { links } = (await t.nextWebhook("approval.requested")).data as {
        links: { approve: string };
      };
      t.clock.now += HOUR + 1;
      const retry = await refusal(send(env, { "securix-approval-id": second }));
      assert.equal(retry.code, "SX-APPROVAL-EXPIRED");
      const page = await fetch(links.approve, { headers: { accept: "text/html" } });
      assert.equal(page.status, 410);
      assert.match(await page.text(), /Request expired/);
      const late = await t.api(`/approvals/${second}`, {
        method: "POST",
        body: JSON.stringify({ decision: "approve" }),
      });
      assert.equal(late.status, 403, "the app key does not decide by default");
      assert.equal((await late.json()).error.code, "SX-APPROVAL-API-DISABLED");
      assert.equal(await approvalStatus(t, second), "expired");
      const expired = await (await t.api("/approvals?status=expired")).json();
      assert.deepEqual(expired.approvals.map((a: { id: string }) => a.id), [second]);
      assert.equal(env.fake.state.gmail.sent.length, 1);
      const audit = await env.audit(0, "approval.decided");
      assert.equal(audit.at(-1)?.data.actor, "cli");
      assert.equal(audit.at(-1)?.data.osUser, "operator");
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "approval: a retry with another body, agent or app is refused; two concurrent retries pass once; uploads match across boundaries",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await approvalEnv({}, {
      apps: [
        { name: "demo", agents: ["agent-1", "mail-agent"] },
        { name: "other", agents: ["agent-9"] },
      ],
    });
    const { env } = t;
    try {
      await allowApiApprovals(t);
      // Allowed for the other app too, so that what stops it is the app scope.
      await allowApiApprovals(t, "other");
      const id = (await refusal(send(env))).details.approvalId as string;
      // Another app cannot see or decide it.
      assert.equal((await t.api(`/approvals/${id}`, {}, "other")).status, 404);
      const foreign = await t.api(`/approvals/${id}`, {
        method: "POST",
        body: JSON.stringify({ decision: "approve" }),
      }, "other");
      assert.equal(foreign.status, 404);
      assert.equal((await foreign.json()).error.code, "SX-APPROVAL-NOT-FOUND");
      const pending = await (await t.api("/approvals?status=pending")).json();
      assert.deepEqual(pending.approvals.map((a: { id: string }) => a.id), [id]);
      assert.deepEqual((await (await t.api("/approvals", {}, "other")).json()).approvals, []);

      const ok = await t.api(`/approvals/${id}`, {
        method: "POST",
        body: JSON.stringify({ decision: "approve" }),
      });
      assert.equal(ok.status, 200);
      assert.equal((await ok.json()).decidedBy.startsWith("api:key_"), true);

      const tampered = toBase64Url(rfc822("Eve <eve@evil.example>"));
      const swapped = await refusal(send(env, { "securix-approval-id": id }, tampered));
      assert.equal(swapped.status, 403);
      assert.equal(swapped.code, "SX-APPROVAL-MISMATCH");
      assert.equal(swapped.details.reason, "body");
      const otherAgent = await refusal(send(env, { "securix-approval-id": id }, RAW, "mail-agent"));
      assert.equal(otherAgent.code, "SX-APPROVAL-MISMATCH");
      const unknown = await refusal(send(env, { "securix-approval-id": "apr_aaaaaaaaaaaaaaaa" }));
      assert.equal(unknown.code, "SX-APPROVAL-NOT-FOUND");
      assert.equal(env.fake.seenBy("gmail").length, 0, "no refused retry reached Gmail");

      // The approval is still good for the call that was approved: exactly one of two passes.
      const outcomes = await Promise.allSettled([
        send(env, { "securix-approval-id": id }),
        send(env, { "securix-approval-id": id }),
      ]);
      assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
      const lost = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      assert.equal((lost.reason as SdkError).response?.data?.error?.code, "SX-APPROVAL-USED");
      assert.equal(env.fake.state.gmail.sent.length, 1);
      assert.match(env.fake.state.gmail.sent[0].to.join(","), /bob@acme\.com/);

      // googleapis' upload form picks a random multipart boundary per request: the retry
      // still matches the approved call (the parts are compared, not the boundary).
      const { users, options } = gmailFor(env);
      const media = { mimeType: "message/rfc822", body: rfc822("bob@acme.com", "Upload") };
      const upload = await refusal(
        users.messages.send({ userId: "me", requestBody: {}, media }, options),
      );
      assert.equal(upload.code, "SX-APPROVAL-REQUIRED");
      const uploadId = upload.details.approvalId as string;
      const decided = await t.api(`/approvals/${uploadId}`, {
        method: "POST",
        body: JSON.stringify({ decision: "approve" }),
      });
      assert.equal(decided.status, 200);
      const retried = gmailFor(env, { "securix-approval-id": uploadId });
      const sent = await retried.users.messages.send(
        { userId: "me", requestBody: {}, media },
        retried.options,
      );
      assert.equal(sent.status, 200);
      const uploads = env.fake.seenBy("gmail").map((s) => s.headers.get("content-type") ?? "");
      assert.match(uploads.at(-1)!, /^multipart\/related; boundary=/);
      assert.equal(env.fake.state.gmail.sent.length, 2);
      const changed = { ...media, body: rfc822("eve@evil.example", "Upload") };
      const swappedUpload = await refusal(
        retried.users.messages.send(
          { userId: "me", requestBody: {}, media: changed },
          retried.options,
        ),
      );
      assert.equal(swappedUpload.code, "SX-APPROVAL-MISMATCH");
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "approval: wait holds the request open until approved through the API; a client that leaves is let go",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await approvalEnv({ wait: "30s" });
    const { env } = t;
    const pendingIds = async (): Promise<string[]> => {
      const body = await (await t.api("/approvals?status=pending")).json();
      return body.approvals.map((a: { id: string }) => a.id);
    };
    const firstPending = async (): Promise<string> => {
      for (let i = 0; i < 200; i++) {
        const ids = await pendingIds();
        if (ids.length > 0) return ids[0];
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error("no pending approval");
    };
    try {
      await allowApiApprovals(t);
      const held = send(env);
      const id = await firstPending();
      assert.equal(env.fake.seenBy("gmail").length, 0, "held, not sent");
      const ok = await t.api(`/approvals/${id}`, {
        method: "POST",
        body: JSON.stringify({ decision: "approve" }),
      });
      assert.equal(ok.status, 200);
      const answer = await held;
      assert.equal(answer.status, 200);
      assert.equal(env.fake.state.gmail.sent.length, 1);
      assert.equal(await approvalStatus(t, id), "used");

      // The client leaves while held: the request ends, nothing is sent, even if approved later.
      const mark = await env.mark();
      const aborter = new AbortController();
      const leaving = fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
        method: "POST",
        headers: { ...env.headers(), "content-type": "application/json" },
        body: JSON.stringify({ raw: RAW }),
        signal: aborter.signal,
      }).catch((e) => e);
      const second = await firstPending();
      aborter.abort();
      assert.ok((await leaving) instanceof Error);
      let cancelled = null;
      for (let i = 0; i < 200 && !cancelled; i++) {
        cancelled = (await env.audit(mark, "proxy.request")).find((r) =>
          r.data.error === "SX-APPROVAL-CANCELLED"
        ) ?? null;
        if (!cancelled) {
          await new Promise((r) =>
            setTimeout(r, 25)
          );
        }
      }
      assert.ok(cancelled, "the held request ended and was recorded");
      await t.api(`/approvals/${second}`, {
        method: "POST",
        body: JSON.stringify({ decision: "approve" }),
      });
      assert.equal(env.fake.state.gmail.sent.length, 1, "the abandoned call was never sent");
      assert.equal(await approvalStatus(t, second), "approved");

      // Denied while held: refused at once, not at the bound.
      const denied = refusal(send(env));
      const third = await firstPending();
      const res = await t.api(`/approvals/${third}`, {
        method: "POST",
        body: JSON.stringify({ decision: "deny" }),
      });
      assert.equal(res.status, 200);
      const waited = await denied;
      assert.equal(waited.code, "SX-APPROVAL-DENIED");
      // The same call again: that denial at once, not held, no new approval.
      const started = performance.now();
      const retried = await refusal(send(env));
      assert.ok(performance.now() - started < 5_000, "answered at once, not at the bound");
      assert.deepEqual(retried, waited);
      assert.deepEqual(await pendingIds(), []);
      assert.equal(env.fake.state.gmail.sent.length, 1);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "approval: a held wait ends as pending at its bound; a body too large to hold is refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await approvalEnv({ wait: "1s" }, {
      raw: { webhooks: { allow_private_targets: true }, proxy: { max_inspect_bytes: 4096 } },
    });
    const { env } = t;
    try {
      // Nobody decides: the request is answered at the bound, and the approval stays open.
      const timedOut = await refusal(send(env));
      assert.equal(timedOut.code, "SX-APPROVAL-PENDING");
      const id = timedOut.details.approvalId as string;
      assert.equal(await approvalStatus(t, id), "pending");

      const big = toBase64Url(rfc822("bob@acme.com", "Big", "x".repeat(8_000)));
      const tooLarge = await refusal(send(env, {}, big));
      assert.equal(tooLarge.status, 413);
      assert.equal(tooLarge.code, "SX-APPROVAL-TOO-LARGE");
      assert.equal(env.fake.seenBy("gmail").length, 0, "nothing was sent");
    } finally {
      await t.close();
    }
  },
});
