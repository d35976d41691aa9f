/**
 * The admin console's security invariants, attacked over HTTP: its own
 * listener only, lockout, CSRF, cookies, single-use login links, TOTP replay.
 */
import assert from "node:assert/strict";
import { findAdmin, matchTotpCode } from "../src/admins/admin_store.ts";
import { createLoginLink, redeemLoginLink } from "../src/admins/login_link_store.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { InFlightGate } from "./helpers/in_flight_gate.ts";
import { ConsoleClient, totpAt } from "./helpers/console_client.ts";
import { ADMIN, PASSWORD, startConsoleEnv } from "./helpers/console_env.ts";

const LOCKOUT = { perAccount: 3, perAddress: 50, windowMs: 60_000 };

Deno.test("console: served on the admin listener only; the public listener has no console", async () => {
  const env = await startConsoleEnv();
  try {
    const admin = new ConsoleClient(env.consoleUrl);
    const res = await admin.signIn(ADMIN, PASSWORD, env.totpKey);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/console");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("sx_console="))!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    assert.equal((await admin.request("/console")).status, 200);
    // The same cookie, sent to the public listener: nothing there knows it.
    const stolen = new ConsoleClient(env.publicUrl);
    stolen.cookies.set("sx_console", admin.cookies.get("sx_console")!);
    for (const path of ["/console", "/console/apps", "/console/sign-in", "/console/audit"]) {
      const r = await stolen.request(path);
      await r.body?.cancel();
      assert.equal(r.status, 404, path);
    }
    const api = await stolen.request("/v1/app");
    await api.body?.cancel();
    assert.equal(api.status, 401);
    const post = await stolen.post("/console/apps", { name: "x" });
    await post.body?.cancel();
    assert.equal(post.status, 404);
  } finally {
    await env.close();
  }
});

Deno.test("console: CSRF-less and cross-origin posts are refused; nothing changes", async () => {
  const env = await startConsoleEnv();
  try {
    const admin = new ConsoleClient(env.consoleUrl);
    await (await admin.signIn(ADMIN, PASSWORD, env.totpKey)).body?.cancel();
    const { csrf } = await admin.page("/console/apps");
    const missing = await admin.post("/console/apps", { name: "nocsrf" });
    assert.equal(missing.status, 403, await missing.text());
    const wrong = await admin.post("/console/apps", { name: "nocsrf", _csrf: "A".repeat(43) });
    assert.equal(wrong.status, 403, await wrong.text());
    const foreign = await admin.post("/console/apps", { name: "nocsrf", _csrf: csrf }, {
      origin: "https://evil.example",
    });
    assert.equal(foreign.status, 403, await foreign.text());
    // The browser is at https://console.example; the proxy hands the request on to
    // 127.0.0.1 with that Host. The browser's Sec-Fetch-Site saw the page's own origin.
    const proxied = { origin: "https://console.example" };
    const own = await admin.post("/console/apps", { name: "proxied", _csrf: csrf }, {
      ...proxied,
      "sec-fetch-site": "same-origin",
    });
    assert.equal(own.status, 201, await own.text());
    const cross = await admin.post("/console/apps", { name: "crosssite", _csrf: csrf }, {
      ...proxied,
      "sec-fetch-site": "cross-site",
    });
    assert.equal(cross.status, 403, await cross.text());
    // The console's pages are not no-referrer: `null` is an opaque origin's post.
    const opaque = await admin.post("/console/apps", { name: "opaque", _csrf: csrf }, {
      origin: "null",
    });
    assert.equal(opaque.status, 403, await opaque.text());
    const list = await admin.page("/console/apps");
    assert.doesNotMatch(list.html, /nocsrf/);
    assert.doesNotMatch(list.html, /crosssite|opaque/);
    // The token of one session is worth nothing in another.
    const other = new ConsoleClient(env.consoleUrl);
    await (await other.signIn(ADMIN, PASSWORD, env.totpKey, 1)).body?.cancel();
    const crossed = await other.post("/console/apps", { name: "crossed", _csrf: csrf });
    assert.equal(crossed.status, 403, await crossed.text());
    const ok = await admin.post("/console/apps", { name: "withcsrf", _csrf: csrf });
    assert.equal(ok.status, 201, await ok.text());
  } finally {
    await env.close();
  }
});

Deno.test("console: a form over 256 KiB gets a 413 page that says so; nothing is saved", async () => {
  const env = await startConsoleEnv();
  try {
    const admin = new ConsoleClient(env.consoleUrl);
    await (await admin.signIn(ADMIN, PASSWORD, env.totpKey)).body?.cancel();
    const { csrf } = await admin.page("/console/apps");
    const big = await admin.post("/console/apps", {
      name: "toolarge",
      _csrf: csrf,
      padding: "x".repeat(300 * 1024),
    });
    const html = await big.text();
    assert.equal(big.status, 413, html);
    assert.match(html, /SX-BODY-TOO-LARGE: The form is larger than 256 KiB; nothing was saved/);
    assert.doesNotMatch((await admin.page("/console/apps")).html, /toolarge/);
  } finally {
    await env.close();
  }
});

Deno.test("console: failed sign-ins lock the account out, even for the right password", async () => {
  const env = await startConsoleEnv({ lockout: LOCKOUT });
  try {
    const admin = new ConsoleClient(env.consoleUrl);
    // Enrolled first, so a later right password + code would sign in.
    await (await admin.signIn(ADMIN, PASSWORD, env.totpKey)).body?.cancel();
    const attacker = new ConsoleClient(env.consoleUrl);
    for (let i = 0; i < LOCKOUT.perAccount; i++) {
      const { csrf } = await attacker.page("/console/sign-in");
      const r = await attacker.post("/console/sign-in", {
        _csrf: csrf,
        name: ADMIN,
        password: `guess-${i}-guess-guess`,
        code: "000000",
      });
      assert.equal(r.status, 401, await r.text());
    }
    const owner = new ConsoleClient(env.consoleUrl);
    const { csrf } = await owner.page("/console/sign-in");
    const locked = await owner.post("/console/sign-in", {
      _csrf: csrf,
      name: ADMIN,
      password: PASSWORD,
      code: totpAt(env.totpKey, Date.now(), 1),
    });
    assert.equal(locked.status, 429, await locked.text());
    assert.ok(Number(locked.headers.get("retry-after")) > 0);
    assert.equal(owner.cookies.has("sx_console"), false);
    const records = await listRecords(env.temp.appliance.database.db, {
      kinds: "admin.console.sign_in_failed",
    });
    assert.equal(records.length, LOCKOUT.perAccount);
    assert.ok(records.every((r) => !JSON.stringify(r.data).includes("guess")), "no password");
  } finally {
    await env.close();
  }
});

Deno.test("console: a TOTP code is good once; a wrong code or password gives one answer", async () => {
  const env = await startConsoleEnv();
  try {
    const first = new ConsoleClient(env.consoleUrl);
    const code = totpAt(env.totpKey, Date.now());
    const signedIn = await first.signIn(ADMIN, PASSWORD, env.totpKey, 0, code);
    await signedIn.body?.cancel();
    assert.equal(signedIn.status, 303);
    // The same step again (a code read over a shoulder): refused.
    const replay = new ConsoleClient(env.consoleUrl);
    const { csrf } = await replay.page("/console/sign-in");
    const again = await replay.post("/console/sign-in", {
      _csrf: csrf,
      name: ADMIN,
      password: PASSWORD,
      code,
    });
    const body = await again.text();
    assert.equal(again.status, 401);
    assert.match(body, /Wrong name, password or code/);
    const unknown = await replay.post("/console/sign-in", {
      _csrf: csrf,
      name: "nobody",
      password: PASSWORD,
      code: "123456",
    });
    assert.equal(unknown.status, 401);
    assert.match(await unknown.text(), /Wrong name, password or code/);
  } finally {
    await env.close();
  }
});

Deno.test("console: a login link signs in once, and not after 10 minutes", async () => {
  const env = await startConsoleEnv();
  try {
    const db = env.temp.appliance.database.db;
    const admin = (await findAdmin(db, ADMIN))!;
    const { token } = await createLoginLink(db, admin.id, Date.now());
    const browser = new ConsoleClient(env.consoleUrl);
    // Opening the link (a preview bot would) uses nothing up.
    const shown = await browser.page(`/console/link/${token}`);
    assert.equal(shown.res.status, 200);
    const used = await browser.post(`/console/link/${token}`, { _csrf: shown.csrf });
    assert.equal(used.status, 303);
    assert.equal((await browser.request("/console")).status, 200);
    const again = new ConsoleClient(env.consoleUrl);
    const page = await again.page(`/console/link/${token}`);
    const reused = await again.post(`/console/link/${token}`, { _csrf: page.csrf });
    assert.equal(reused.status, 401, await reused.text());
    const old = await createLoginLink(db, admin.id, Date.now() - 11 * 60_000);
    const late = await again.post(`/console/link/${old.token}`, { _csrf: page.csrf });
    assert.equal(late.status, 401, await late.text());
    assert.equal(again.cookies.has("sx_console"), false);
  } finally {
    await env.close();
  }
});

Deno.test("console: bad login links lock out their own address, not another's good link", async () => {
  // Default limits (5 per admin name, 20 per address); behind a proxy on loopback,
  // X-Forwarded-For names each client.
  const env = await startConsoleEnv({ trustProxy: true });
  try {
    const db = env.temp.appliance.database.db;
    const admin = (await findAdmin(db, ADMIN))!;
    const attackerAt = { "x-forwarded-for": "203.0.113.10" };
    const operatorAt = { "x-forwarded-for": "198.51.100.7" };
    const attacker = new ConsoleClient(env.consoleUrl);
    const { csrf } = await attacker.page(`/console/link/${"x".repeat(43)}`);
    const badLinks = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const path = `/console/link/${"x".repeat(40)}${String(i).padStart(3, "0")}`;
        const r = await attacker.post(path, { _csrf: csrf }, attackerAt);
        assert.equal(r.status, 401, `bad link ${i}: ${await r.text()}`);
      }
    };
    const operatorSignsIn = async (token: string) => {
      const operator = new ConsoleClient(env.consoleUrl);
      const shown = await operator.page(`/console/link/${token}`);
      const used = await operator.post(`/console/link/${token}`, { _csrf: shown.csrf }, operatorAt);
      assert.equal(used.status, 303, await used.text());
      assert.equal((await operator.request("/console")).status, 200);
    };
    // As many bad links as the per-name limit: the operator's link still works from elsewhere.
    await badLinks(0, 5);
    await operatorSignsIn((await createLoginLink(db, admin.id, Date.now())).token);
    // Up to the per-address limit, then the attacker's address waits, even with a good link.
    await badLinks(5, 20);
    const { token } = await createLoginLink(db, admin.id, Date.now());
    const locked = await attacker.post(`/console/link/${token}`, { _csrf: csrf }, attackerAt);
    assert.equal(locked.status, 429, await locked.text());
    assert.equal(attacker.cookies.has("sx_console"), false);
    // That link was not used up, and the operator's address is not locked.
    await operatorSignsIn(token);
  } finally {
    await env.close();
  }
});

Deno.test("console: cookies are Secure when the console is reached over https (its proxy says so)", async () => {
  const env = await startConsoleEnv();
  try {
    const viaProxy = await fetch(`${env.consoleUrl}/console/sign-in`, {
      headers: { "x-forwarded-proto": "https" },
    });
    await viaProxy.body?.cancel();
    const [cookie] = viaProxy.headers.getSetCookie();
    assert.match(cookie, /^sx_console_pre=/);
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const plain = await fetch(`${env.consoleUrl}/console/sign-in`);
    await plain.body?.cancel();
    assert.doesNotMatch(plain.headers.getSetCookie()[0], /Secure/);
    assert.match(plain.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal(plain.headers.get("x-frame-options"), "DENY");
  } finally {
    await env.close();
  }
});

/**
 * Statuses of `n` posts made at once, each from its own browser, made ready
 * one by one first; `answered` is told of each answer as it comes.
 */
async function atOnce(
  n: number,
  page: (
    i: number,
  ) => Promise<{ client: ConsoleClient; path: string; form: Record<string, string> }>,
  answered: () => void = () => {},
): Promise<number[]> {
  const ready = [];
  for (let i = 0; i < n; i++) ready.push(await page(i));
  return await Promise.all(ready.map(async ({ client, path, form }) => {
    const r = await client.post(path, form);
    await r.body?.cancel();
    answered();
    return r.status;
  }));
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

Deno.test("console: concurrent wrong sign-ins check no more passwords than the lockout allows", async () => {
  const env = await startConsoleEnv(); // 5 per admin name, 20 per address
  try {
    await (await new ConsoleClient(env.consoleUrl).signIn(ADMIN, PASSWORD, env.totpKey)).body
      ?.cancel();
    const statuses = await atOnce(40, async (i) => {
      const client = new ConsoleClient(env.consoleUrl);
      const { csrf } = await client.page("/console/sign-in");
      const form = { _csrf: csrf, name: ADMIN, password: `guess-${i}-guess-guess`, code: "000000" };
      return { client, path: "/console/sign-in", form };
    });
    assert.equal(count(statuses, 401), 5, JSON.stringify(statuses));
    assert.equal(count(statuses, 429), 35, JSON.stringify(statuses));
  } finally {
    await env.close();
  }
});

Deno.test("console: right sign-ins give back the attempt they took from the lockout", async () => {
  const env = await startConsoleEnv({ lockout: LOCKOUT });
  try {
    // Not enrolled yet: the right password alone passes (on to enrolment), again and again.
    const client = new ConsoleClient(env.consoleUrl);
    for (let i = 0; i < LOCKOUT.perAccount + 2; i++) {
      const { csrf } = await client.page("/console/sign-in");
      const r = await client.post("/console/sign-in", {
        _csrf: csrf,
        name: ADMIN,
        password: PASSWORD,
        code: "",
      });
      assert.equal(r.status, 303, await r.text());
    }
  } finally {
    await env.close();
  }
});

Deno.test("console: concurrent wrong enrolment codes check no more than the lockout allows", async () => {
  const n = 30;
  const gate = new InFlightGate(n);
  const env = await startConsoleEnv({
    // 5 per admin name
    checkEnrolmentCode: gate.hold(matchTotpCode),
  });
  try {
    const statuses = await atOnce(n, async () => {
      const client = new ConsoleClient(env.consoleUrl);
      const { csrf } = await client.page("/console/sign-in");
      const r = await client.post("/console/sign-in", {
        _csrf: csrf,
        name: ADMIN,
        password: PASSWORD,
        code: "",
      });
      await r.body?.cancel();
      assert.equal(r.headers.get("location"), "/console/enrol");
      const enrol = await client.page("/console/enrol");
      return { client, path: "/console/enrol", form: { _csrf: enrol.csrf, code: "000000" } };
    }, () => gate.answered());
    assert.equal(gate.held, 5, "codes checked");
    assert.equal(count(statuses, 401), 5, JSON.stringify(statuses));
    assert.equal(count(statuses, 429), 25, JSON.stringify(statuses));
  } finally {
    gate.close();
    await env.close();
  }
});

Deno.test("console: concurrent unknown login links are refused past the lockout", async () => {
  const n = 30;
  const gate = new InFlightGate(n);
  const env = await startConsoleEnv({
    // The per-name limit (3) is not a link's: only the address's 4 apply.
    lockout: { ...LOCKOUT, perAddress: 4 },
    redeemLoginLink: gate.hold(redeemLoginLink),
  });
  try {
    const statuses = await atOnce(n, async (i) => {
      const client = new ConsoleClient(env.consoleUrl);
      const path = `/console/link/${"x".repeat(40)}${String(i).padStart(3, "0")}`;
      const { csrf } = await client.page(path);
      return { client, path, form: { _csrf: csrf } };
    }, () => gate.answered());
    assert.equal(gate.held, 4, "lookups made");
    assert.equal(count(statuses, 401), 4, JSON.stringify(statuses));
    assert.equal(count(statuses, 429), 26, JSON.stringify(statuses));
  } finally {
    gate.close();
    await env.close();
  }
});

Deno.test("console: a percent-encoded /console/enrol is the enrol page: no TOTP key for a signed-in admin", async () => {
  const env = await startConsoleEnv();
  try {
    // A session in enrolment (before the admin enrolled) reaches it so spelled, and nothing else.
    const enrolling = new ConsoleClient(env.consoleUrl);
    const { csrf } = await enrolling.page("/console/sign-in");
    await (await enrolling.post("/console/sign-in", {
      _csrf: csrf,
      name: ADMIN,
      password: PASSWORD,
      code: "",
    })).body?.cancel();
    const page = await enrolling.page("/console/%65nrol");
    assert.equal(page.res.status, 200, page.res.headers.get("location") ?? "");
    assert.match(page.html, /data-totp-key/);
    const apps = await enrolling.request("/console/%61pps");
    await apps.body?.cancel();
    assert.equal(apps.headers.get("location"), "/console/enrol");
    const admin = new ConsoleClient(env.consoleUrl);
    await (await admin.signIn(ADMIN, PASSWORD, env.totpKey)).body?.cancel();
    const encoded = await admin.request("/console/%65nrol");
    const html = await encoded.text();
    assert.equal(encoded.status, 303);
    assert.equal(encoded.headers.get("location"), "/console");
    assert.doesNotMatch(html, /data-totp-key/);
  } finally {
    await env.close();
  }
});

Deno.test("console: ?done= shows only its own notices, never an Object property", async () => {
  const env = await startConsoleEnv();
  try {
    const admin = new ConsoleClient(env.consoleUrl);
    await (await admin.signIn(ADMIN, PASSWORD, env.totpKey)).body?.cancel();
    for (const done of ["constructor", "toString", "__proto__"]) {
      const { html } = await admin.page(`/console/apps?done=${done}`);
      assert.doesNotMatch(html, /native code|\[object/, done);
    }
    assert.match((await admin.page("/console/apps?done=app_deleted")).html, /App deleted\./);
  } finally {
    await env.close();
  }
});
