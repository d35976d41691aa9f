/**
 * The end-user Trust Portal end to end in Chromium: `Securix.portal.getUrl`
 * (a page with one button, which a reload does not use up) opens the portal
 * for one entity only (another entity's connection id is
 * 404), hiding a Gmail label makes the next `users.messages.list`
 * (googleapis) skip it, turning a scope off gives SX-SCOPE-DISABLED on the
 * next call, revoking deletes the credential and sends `connection.revoked`,
 * a pending approval is decided, and an expired or reused link is refused.
 * Every page passes axe (no serious or critical violations), fits 390 px, is
 * screenshot light and dark, and the browser loads nothing from outside.
 */
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { google } from "googleapis";
import type { Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { findApp, saveApp } from "../src/apps/app_store.ts";
import { getConnection, updateConnection } from "../src/connections/connection_store.ts";
import { CREDENTIAL_PURPOSE } from "../src/connections/connection_types.ts";
import { Securix } from "../src/sdk/server_client.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { explainSkip, hasChromium, launchChromium } from "./browser/chromium.ts";
import { rulesEnv } from "./helpers/rules_env.ts";

explainSkip("trust portal browser test");
const SHOTS = new URL("../.test-artifacts/screenshots/", import.meta.url).pathname;
const ORIGIN = "https://app.example";

interface Received {
  body: string;
  headers: Record<string, string>;
  type: string;
  data: Record<string, unknown>;
}

async function check(page: Page, where: string): Promise<void> {
  const name = where.replaceAll(/[^a-z]+/g, "-");
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({
      path: `${SHOTS}portal-${name}-${scheme}.png`,
      fullPage: true,
      animations: "disabled",
    });
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(
      bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
      [],
      `axe on ${where} (${scheme})`,
    );
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(
    "document.documentElement.scrollWidth - document.documentElement.clientWidth",
  ) as number;
  assert.ok(overflow <= 0, `${where} is ${overflow} px wider than 390 px`);
  await page.screenshot({ path: `${SHOTS}portal-${name}-narrow.png`, fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });
}

Deno.test({
  name:
    "portal: getUrl opens one entity's portal; hide label, scope off, approval, revoke take effect on the next call; links are single-use",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(SHOTS, { recursive: true });
    const clock = { now: Date.now() };
    const received: Received[] = [];
    const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const body = await req.text();
      const parsed = JSON.parse(body);
      received.push({ body, headers: Object.fromEntries(req.headers), ...parsed });
      return new Response(null, { status: 204 });
    });
    const env = await rulesEnv({
      entities: ["alice", "bob"],
      rules: [{ name: "send_needs_ok", target: "gmail.users.drafts.send", effect: "approve" }],
      scopes: {
        send_mail: {
          description: "Send email for you",
          operations: ["gmail.users.messages.send"],
        },
        drive_write: { description: "Change your Drive files", operations: ["drive.files.update"] },
      },
      raw: { webhooks: { allow_private_targets: true } },
      now: () => clock.now,
      runtime: { webhookPollMs: 20, approvalPollMs: 50 },
    });
    const browser = await launchChromium();
    try {
      const db = env.temp.appliance.database.db;
      const app = (await findApp(db, "demo"))!;
      await saveApp(db, { ...app, origins: [ORIGIN] });
      // What a real consent leaves: the account and the granted scopes.
      await updateConnection(db, "conn_demo_alice_gmail", {
        account: { id: "1042", email: "alice@acme.com" },
        scopes: [
          "openid",
          "email",
          "https://www.googleapis.com/auth/gmail.modify",
          "https://www.googleapis.com/auth/gmail.send",
        ],
      }, clock.now);
      await updateConnection(db, "conn_demo_alice_drive", {
        account: { id: "1042", email: "alice@acme.com" },
        scopes: ["https://www.googleapis.com/auth/drive.readonly", "x-custom-scope"],
      }, clock.now);
      const { secret } = await addEndpoint(
        { db, vault: env.temp.appliance.vault, now: () => clock.now },
        app.id,
        `http://127.0.0.1:${receiver.addr.port}/hook`,
        ["connection.revoked", "connection.paused", "portal.settings.changed", "approval.decided"],
      );
      const nextWebhook = async (type: string) => {
        for (let i = 0; i < 400; i++) {
          const hit = received.find((r) => r.type === type);
          if (hit) {
            received.splice(received.indexOf(hit), 1);
            return hit;
          }
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error(`no ${type} webhook arrived`);
      };
      const sdk = new Securix({ baseUrl: env.base, apiKey: env.apiKey() });
      // The URL is on the configured public URL; the browser reaches the same listener here.
      const local = (url: string) => {
        const u = new URL(url);
        return `${env.base}${u.pathname}${u.search}`;
      };

      // A returnUrl off the app's origins is refused.
      await assert.rejects(
        sdk.portal.getUrl({ entityId: "alice", returnUrl: "https://evil.example/x" }),
        (e: { code?: string; status?: number }) =>
          e.code === "SX-PORTAL-RETURN-URL" && e.status === 400,
      );
      const link = await sdk.portal.getUrl({ entityId: "alice", returnUrl: `${ORIGIN}/settings` });
      assert.match(link.url, /^http:\/\/[^/]+\/portal\/start\?t=[A-Za-z0-9_-]{43}$/);
      assert.ok(Date.parse(link.expiresAt) - clock.now <= 10 * 60_000);

      // A pending approval for alice, to decide in the portal.
      const gmail = google.gmail({ version: "v1", headers: env.headers(), retry: false });
      const options = { rootUrl: `${env.proxy("gmail")}/` };
      const held = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/drafts/send`, {
        method: "POST",
        headers: { ...env.headers(), "content-type": "application/json" },
        body: JSON.stringify({ id: "r-1" }),
      });
      assert.equal(held.status, 403);
      const approvalId = (await held.json()).error.details.approvalId as string;

      const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
      const page = await context.newPage();
      const requested: string[] = [];
      page.on("request", (r) => requested.push(r.url()));
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));

      // The link shows a button first (a prefetch uses nothing); pressing it opens the portal.
      await page.goto(local(link.url));
      assert.match(
        await page.locator("h1").innerText(),
        /Open your Securix privacy page for demo/,
      );
      await check(page, "start");
      await page.reload();
      await page.getByRole("button", { name: "Open my privacy page" }).click();
      await page.waitForURL(`${env.base}/portal`);
      assert.match(await page.locator("h1").innerText(), /Your connected accounts/);
      const main = await page.locator("main").innerText();
      assert.match(main, /Gmail/);
      assert.match(main, /alice@acme\.com/);
      // Scopes in plain words; an id without a phrase as it is.
      assert.match(main, /Read, change and organise your email/);
      assert.match(main, /Send email as you/);
      assert.match(main, /x-custom-scope/);
      assert.doesNotMatch(main, /auth\/gmail\.modify/);
      assert.match(main, /Signed in as alice for demo/);
      await check(page, "home");
      const cookies = await context.cookies();
      const cookie = cookies.find((c) => c.name === "sx_portal")!;
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, "Strict");

      // Reused link: refused with a clear page.
      const reuse = await context.newPage();
      const reused = await reuse.goto(local(link.url));
      assert.equal(reused!.status(), 410);
      assert.match(await reuse.locator("main").innerText(), /already used/);
      await check(reuse, "link-used");
      await reuse.close();

      // Another entity's connection: 404, whatever the id.
      const bobs = await page.goto(`${env.base}/portal/connections/conn_demo_bob_gmail`);
      assert.equal(bobs!.status(), 404);
      await check(page, "not-found");

      // Connection page: activity from the audit trail (the held call above).
      await page.goto(`${env.base}/portal/connections/conn_demo_alice_gmail`);
      const activity = page.getByRole("list", { name: /Calls agents made/ });
      assert.match(await activity.innerText(), /gmail\.users\.drafts\.send/);
      // Grouped per hour: each row says how many calls and when the last was.
      assert.match(await activity.innerText(), /\b\d+ calls? · last \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      await check(page, "connection");

      // Hide the HR label: the list comes through the proxy from the account itself.
      const hrIds = [...env.fake.state.gmail.messages.values()]
        .filter((m) => m.labelIds.includes("Label_1")).map((m) => m.id);
      assert.ok(hrIds.length > 0);
      const before = await gmail.users.messages.list({ userId: "me", maxResults: 100 }, options);
      assert.ok(before.data.messages!.some((m) => hrIds.includes(m.id!)));
      await page.goto(`${env.base}/portal/connections/conn_demo_alice_gmail/hide`);
      await check(page, "hide");
      await page.getByLabel("HR", { exact: true }).check();
      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForURL(/done=hidden/);
      assert.match(await page.locator("main").innerText(), /Hidden labels\s+HR/);
      const after = await gmail.users.messages.list({ userId: "me", maxResults: 100 }, options);
      assert.ok(after.data.messages!.length > 0);
      assert.ok(!after.data.messages!.some((m) => hrIds.includes(m.id!)), "HR is skipped");
      // Bob did not hide anything.
      const bobGmail = google.gmail({
        version: "v1",
        headers: env.headers({ entity: "bob" }),
        retry: false,
      });
      const bobList = await bobGmail.users.messages.list(
        { userId: "me", maxResults: 100 },
        options,
      );
      assert.ok(bobList.data.messages!.some((m) => hrIds.includes(m.id!)));
      const hidden = await nextWebhook("portal.settings.changed");
      new Webhook(secret).verify(hidden.body, hidden.headers);
      assert.equal(hidden.data.entityId, "alice");
      assert.equal(hidden.data.by, "portal:alice");
      // The hidden label is still offered, ticked, to show it again.
      await page.goto(`${env.base}/portal/connections/conn_demo_alice_gmail/hide`);
      assert.equal(await page.getByLabel("HR", { exact: true }).isChecked(), true);

      // Turn "Send email for you" off: the next send is SX-SCOPE-DISABLED, for alice only.
      await page.goto(`${env.base}/portal`);
      await page.getByRole("button", { name: "Turn off: Send email for you" }).click();
      await page.waitForURL(/done=scope_off/);
      const send = () =>
        fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
          method: "POST",
          headers: { ...env.headers(), "content-type": "application/json" },
          body: JSON.stringify({ raw: "VG86IGJAYi5jb20NCg0KaGk" }),
        });
      const refused = await send();
      assert.equal(refused.status, 403);
      assert.equal((await refused.json()).error.code, "SX-SCOPE-DISABLED");
      const bobSend = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
        method: "POST",
        headers: { ...env.headers({ entity: "bob" }), "content-type": "application/json" },
        body: JSON.stringify({ raw: "VG86IGJAYi5jb20NCg0KaGk" }),
      });
      assert.equal(bobSend.status, 200);
      await page.getByRole("button", { name: "Turn on: Send email for you" }).click();
      await page.waitForURL(/done=scope_on/);
      assert.equal((await send()).status, 200);

      // The pending approval, decided in the portal.
      await page.goto(`${env.base}/portal`);
      await page.locator(`[data-approval="${approvalId}"] button[value="approve"]`).click();
      await page.waitForURL(/done=approved/);
      await check(page, "home-after");
      const decided = await nextWebhook("approval.decided");
      assert.equal(decided.data.decidedBy, "portal:alice");

      // A CSRF-less post is refused and changes nothing.
      const forged = await page.request.post(
        `${env.base}/portal/connections/conn_demo_alice_gmail/pause`,
        { form: { csrf: "x" }, maxRedirects: 0 },
      );
      assert.equal(forged.status(), 403);
      assert.equal((await getConnection(db, "conn_demo_alice_gmail"))!.status, "active");
      // Bob's connection by a post of alice's session: 404.
      const csrf = await page.locator("input[name=csrf]").first().inputValue();
      const cross = await page.request.post(
        `${env.base}/portal/connections/conn_demo_bob_gmail/revoke`,
        { form: { csrf }, maxRedirects: 0 },
      );
      assert.equal(cross.status(), 404);
      assert.equal((await getConnection(db, "conn_demo_bob_gmail"))!.status, "active");

      // Pause → SX-PAUSED on the next call; resume.
      await page.goto(`${env.base}/portal/connections/conn_demo_alice_gmail`);
      await page.locator("[data-action=pause]").click();
      await page.waitForURL(/done=paused/);
      const paused = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/labels`, {
        headers: env.headers(),
      });
      assert.equal((await paused.json()).error.code, "SX-PAUSED");
      assert.equal(
        (await nextWebhook("connection.paused")).data.connectionId,
        "conn_demo_alice_gmail",
      );
      await page.locator("[data-action=resume]").click();
      await page.waitForURL(/done=resumed/);

      // Revoke: the credential is deleted and connection.revoked is sent.
      const credentialId = (await getConnection(db, "conn_demo_alice_drive"))!.credentialId!;
      await page.goto(`${env.base}/portal/connections/conn_demo_alice_drive`);
      await check(page, "drive");
      // Hide the Drive folder HR (listed through the proxy with a folder query).
      const driveList = async () => {
        const res = await fetch(`${env.proxy("drive")}/drive/v3/files?fields=files(id,parents)`, {
          headers: env.headers(),
        });
        assert.equal(res.status, 200);
        return (await res.json()).files as { id: string; parents?: string[] }[];
      };
      assert.ok((await driveList()).some((f) => f.id === "file_salaries"));
      await page.goto(`${env.base}/portal/connections/conn_demo_alice_drive/hide`);
      await check(page, "drive-hide");
      await page.getByLabel("HR", { exact: true }).check();
      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForURL(/done=hidden/);
      const driveAfter = await driveList();
      assert.ok(driveAfter.length > 0);
      assert.ok(!driveAfter.some((f) => f.parents?.includes("fold_hr")), "HR's files are skipped");
      await page.goto(`${env.base}/portal/connections/conn_demo_alice_drive`);
      await page.locator("[data-action=revoke]").click();
      await page.waitForURL(/done=revoked/);
      const revoked = await getConnection(db, "conn_demo_alice_drive");
      assert.equal(revoked!.status, "revoked");
      assert.equal(revoked!.credentialId, null);
      assert.equal(
        await env.temp.appliance.vault.get(credentialId, CREDENTIAL_PURPOSE).catch(() => null),
        null,
      );
      const hook = await nextWebhook("connection.revoked");
      new Webhook(secret).verify(hook.body, hook.headers);
      assert.equal(hook.data.connectionId, "conn_demo_alice_drive");
      const gone = await page.goto(`${env.base}/portal/connections/conn_demo_alice_drive`);
      assert.equal(gone!.status(), 404);

      // Audit: every change names portal:alice.
      const dump = await env.auditDump();
      assert.match(dump, /portal\.settings\.changed/);
      assert.match(dump, /portal:alice/);

      // An expired link is refused; a link for bob shows bob's accounts only.
      const late = await sdk.portal.getUrl({ entityId: "bob" });
      clock.now += 11 * 60_000;
      const expired = await page.goto(local(late.url));
      assert.equal(expired!.status(), 410);
      assert.match(await page.locator("main").innerText(), /expired/);
      const fresh = await sdk.portal.getUrl({ entityId: "bob" });
      // Alice's portal is open in this browser: the page says whose it would switch to.
      await page.goto(local(fresh.url));
      const warning = await page.locator("[data-portal-switch]").innerText();
      assert.match(warning, /open as alice for demo/);
      assert.match(warning, /bob for demo/);
      await check(page, "start-switch");
      await page.getByRole("button", { name: "Switch to bob" }).click();
      await page.waitForURL(`${env.base}/portal`);
      assert.match(await page.locator("main").innerText(), /Signed in as bob/);
      const alices = await page.goto(`${env.base}/portal/connections/conn_demo_alice_gmail`);
      assert.equal(alices!.status(), 404);
      // Session over: 401 page.
      await page.goto(`${env.base}/portal`);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForSelector("h1:text('Signed out')");
      await page.goto(`${env.base}/portal`);
      assert.match(await page.locator("main").innerText(), /session has ended/);
      await check(page, "session-ended");

      const outside = requested.filter((u) => !u.startsWith(env.base) && !u.startsWith("data:"));
      assert.deepEqual(outside, []);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await env.close();
      await receiver.shutdown();
    }
  },
});
