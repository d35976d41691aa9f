/**
 * Real clients, unmodified: `npm:googleapis` lists Gmail messages and
 * `npm:@octokit/rest` reads a repository through the appliance, with the
 * tokens obtained by a device-flow consent against oidc-provider. The fake
 * upstream APIs answer only to the bearer token the vault holds for that
 * connection, so a pass means the proxy injected the right credential.
 *
 * The SDKs address the proxy by Host (`gmail.api.localhost:PORT`); how they
 * reach 127.0.0.1 with that Host unchanged is explained in
 * helpers/localhost_resolution.ts. The path fallback (`/proxy/<provider>/`)
 * is exercised with the same SDKs and with plain fetch.
 */
import assert from "node:assert/strict";
import { google } from "googleapis";
import { Octokit } from "@octokit/rest";
import { Browser, csrfOf } from "./helpers/flow_env.ts";
import { localhostAgent, localhostFetch } from "./helpers/localhost_resolution.ts";
import { startOidcServer } from "./helpers/oidc_server.ts";
import { freePort } from "./helpers/process.ts";
import { seedApp, storedCredential } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";

const ENTITY = "user-1";

/** One request as a fake upstream API saw it. */
interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | null;
  headerNames: string[];
  status: number;
  /** The answer went back gzip-compressed. */
  gzip: boolean;
  /** Size of the answer's body before compression. */
  plainBytes: number;
  /** Size of the answer's body as sent (compressed when `gzip`). */
  sentBytes: number;
}

/** Compresses the body as Google's and GitHub's front ends do for clients that accept gzip. */
async function gzipped(response: Response): Promise<Response> {
  const body = response.body!.pipeThrough(new CompressionStream("gzip"));
  const bytes = new Uint8Array(await new Response(body).arrayBuffer());
  const headers = new Headers(response.headers);
  headers.set("content-encoding", "gzip");
  headers.set("content-length", String(bytes.length));
  headers.set("vary", "Accept-Encoding");
  return new Response(bytes, { status: response.status, headers });
}

/** A fake provider API on 127.0.0.1 that records what reached it. */
function fakeApi(handle: (req: Request, url: URL) => Promise<Response>) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    let response = await handle(req, url);
    const plainBytes = (await response.clone().arrayBuffer()).byteLength;
    const gzip = /\bgzip\b/.test(req.headers.get("accept-encoding") ?? "");
    if (gzip && response.body) response = await gzipped(response);
    const sentBytes = (await response.clone().arrayBuffer()).byteLength;
    seen.push({
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.get("authorization"),
      headerNames: [...req.headers.keys()],
      status: response.status,
      gzip,
      plainBytes,
      sentBytes,
    });
    return response;
  });
  return { server, seen, base: `http://127.0.0.1:${server.addr.port}` };
}

async function setup() {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const oidc = await startOidcServer({
    clients: [{
      clientId: "securix",
      clientSecret: "s3cret",
      redirectUris: [`${publicUrl}/oauth/callback`],
    }],
    accessTokenTtl: 3600,
  });

  // Read as the proxy would: the active connection's credential, decrypted.
  let vaultToken: (provider: string) => Promise<string | null> = () => Promise.resolve(null);
  const bearerIsVaultToken = async (req: Request, provider: string) => {
    const token = await vaultToken(provider);
    return token !== null && req.headers.get("authorization") === `Bearer ${token}`;
  };

  const gmailApi = fakeApi(async (req, url) => {
    if (!await bearerIsVaultToken(req, "gmail")) {
      return Response.json({
        error: {
          code: 401,
          message: "Request had invalid authentication credentials.",
          status: "UNAUTHENTICATED",
        },
      }, { status: 401 });
    }
    if (req.method === "GET" && url.pathname === "/gmail/v1/users/me/messages") {
      const max = Number(url.searchParams.get("maxResults") ?? "100");
      // Enough JSON for a compressing server to bother, as Google's does.
      const all = Array.from({ length: 40 }, (_, i) => ({
        id: `18f${(i + 1).toString(16).padStart(13, "0")}`,
        threadId: `18e${(Math.floor(i / 2) + 1).toString(16).padStart(13, "0")}`,
      }));
      const messages = all.slice(0, max);
      return Response.json({
        messages,
        ...(messages.length < all.length ? { nextPageToken: "page-2" } : {}),
        resultSizeEstimate: all.length,
      });
    }
    return Response.json({ error: { code: 404, message: "Not Found" } }, { status: 404 });
  });

  const githubApi = fakeApi(async (req, url) => {
    const badCredentials = () =>
      Response.json({
        message: "Bad credentials",
        documentation_url: "https://docs.github.com/rest",
        status: "401",
      }, { status: 401 });
    if (url.pathname === "/user") {
      // The appliance reads who connected right after the code exchange,
      // before the token is in the vault: this fake GitHub asks the
      // authorization server (oidc-provider's userinfo) whose token it is.
      const info = await fetch(oidc.userinfoUrl, {
        headers: { authorization: req.headers.get("authorization") ?? "" },
      });
      if (!info.ok) {
        await info.body?.cancel();
        return badCredentials();
      }
      const claims = await info.json();
      return Response.json({ id: 583231, login: claims.sub, name: claims.name, email: null });
    }
    if (!await bearerIsVaultToken(req, "github")) return badCredentials();
    const repo = /^\/repos\/([\w.-]+)\/([\w.-]+)$/.exec(url.pathname);
    if (req.method === "GET" && repo) {
      const [, owner, name] = repo;
      return Response.json({
        id: 1296269,
        node_id: "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        name,
        full_name: `${owner}/${name}`,
        owner: { login: owner, id: 1, type: "Organization" },
        private: false,
        description: "This your first repo!",
        default_branch: "main",
        stargazers_count: 80,
        topics: ["octocat", "api"],
      });
    }
    return Response.json({ message: "Not Found" }, { status: 404 });
  });

  const endpoints = {
    client_id: "securix",
    client_secret: "s3cret",
    authorization_url: oidc.authorizationUrl,
    token_url: oidc.tokenUrl,
  };
  const temp = await openTempAppliance({
    raw: {
      server: { listen: `127.0.0.1:${port}`, public_url: publicUrl, base_domain: "localhost" },
      providers: {
        gmail: {
          ...endpoints,
          userinfo_url: oidc.userinfoUrl,
          revocation_url: oidc.revocationUrl,
          api_base_url: gmailApi.base,
          scopes: ["openid", "email", "profile", "https://www.googleapis.com/auth/gmail.readonly"],
        },
        github: {
          ...endpoints,
          userinfo_url: `${githubApi.base}/user`,
          api_base_url: githubApi.base,
          // `openid` only so the fake GitHub can check tokens at oidc-provider's userinfo.
          default_scopes: ["read:user", "openid"],
        },
      },
    },
  });
  const { appliance } = temp;
  vaultToken = async (provider) =>
    (await storedCredential(appliance, ENTITY, provider))?.accessToken ?? null;
  const served = await serveRuntime(appliance, port);
  const { runtime } = served;
  const { apiKey } = await seedApp(appliance, { name: "demo" });

  /** Proxy audit records written after `afterSeq`, oldest first. */
  const proxyAudit = async (afterSeq: number) => {
    await runtime.audit!.flush();
    const records = await listRecords(appliance.database.db, { kinds: "proxy.request" });
    return records.filter((r) => r.seq > afterSeq);
  };

  return {
    port,
    publicUrl,
    oidc,
    apiKey,
    gmailApi,
    githubApi,
    vaultToken,
    proxyAudit,
    async close() {
      await served.stop();
      await gmailApi.server.shutdown();
      await githubApi.server.shutdown();
      await oidc.close();
      await temp.cleanup();
    },
  };
}

type Env = Awaited<ReturnType<typeof setup>>;

/** The end user connects Gmail and GitHub in one device-flow session. */
async function connectBoth(env: Env) {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${env.publicUrl}${path}`, {
      ...init,
      headers: { "securix-api-key": env.apiKey, "content-type": "application/json" },
    });
  const created = await api("/v1/auth/sessions", {
    method: "POST",
    body: JSON.stringify({
      entityId: ENTITY,
      flow: "device",
      providers: { gmail: {}, github: {} },
    }),
  });
  assert.equal(created.status, 201);
  const session = await created.json();
  const browser = new Browser();
  const entry = await browser.go(`${env.publicUrl}/device`);
  const entered = await browser.form(`${env.publicUrl}/device`, {
    csrf: csrfOf(await entry.text()),
    code: session.deviceAuthCode,
  });
  assert.equal(entered.status, 303);
  let connect = `${env.publicUrl}${entered.headers.get("location")}`;
  const visited: string[] = [];
  // One round per provider, then the done page; bounded.
  for (let round = 0; round < 3; round++) {
    const page = await browser.go(connect);
    assert.equal(page.status, 200);
    const started = await browser.form(`${connect}/continue`, { csrf: csrfOf(await page.text()) });
    assert.equal(started.status, 303);
    const providerUrl = started.headers.get("location")!;
    assert.ok(providerUrl.startsWith(env.oidc.issuer), providerUrl);
    visited.push(new URL(providerUrl).searchParams.get("scope") ?? "");
    const callback = await env.oidc.loginAndConsent(providerUrl, { accountId: "alice" });
    const back = await browser.go(callback);
    if (back.status === 200) {
      assert.match(await back.text(), /connected/i);
      break;
    }
    assert.equal(back.status, 303, await back.text());
    connect = new URL(back.headers.get("location")!, env.publicUrl).toString();
  }
  assert.equal(visited.length, 2, "one provider sign-in each for gmail and github");
  const status = await (await api(`/v1/auth/status?entityId=${ENTITY}`)).json();
  assert.equal(status.status, "AUTH_SUCCESS");
  assert.equal(status.providers.gmail.status, "active");
  assert.equal(status.providers.github.status, "active");
  const { connections } = await (await api(`/v1/connections?entityId=${ENTITY}`)).json();
  const accounts = Object.fromEntries(
    connections.map((
      c: { provider: string; account: { id: string } },
    ) => [c.provider, c.account.id]),
  );
  // Gmail's account from oidc-provider's userinfo, GitHub's from the fake `/user`.
  assert.deepEqual(accounts, { gmail: "alice", github: "583231" });
}

/** The upstream saw the vault token and none of the caller's Securix headers. */
async function assertClean(env: Env, seen: Seen, provider: string) {
  assert.equal(seen.status, 200);
  assert.equal(seen.authorization, `Bearer ${await env.vaultToken(provider)}`);
  const leaked = seen.headerNames.filter((n) => n.startsWith("securix-") || n === "cookie");
  assert.deepEqual(leaked, [], "no securix-* header reaches the provider");
  // The caller's client accepts gzip, so the provider compressed: the client
  // above parsed the answer, so the proxy's handling of the coding held up.
  assert.ok(seen.gzip, "the provider answered gzip-compressed");
}

function securixHeaders(env: Env) {
  return {
    "securix-api-key": env.apiKey,
    "securix-entity-id": ENTITY,
    "securix-agent-id": "agent-1",
  };
}

Deno.test("real clients: googleapis and @octokit/rest through the proxy after device consent", async (t) => {
  const env = await setup();
  try {
    await t.step("consent: gmail and github tokens land in the vault", async () => {
      await connectBoth(env);
      const gmailToken = await env.vaultToken("gmail");
      const githubToken = await env.vaultToken("github");
      assert.ok(gmailToken && githubToken);
      assert.notEqual(gmailToken, githubToken);
      // The fakes refuse anything but the vault's token for their own provider.
      for (const [base, token] of [[env.gmailApi.base, githubToken], [env.githubApi.base, "x"]]) {
        const refused = await fetch(`${base}/repos/a/b`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(refused.status, 401);
        await refused.body?.cancel();
      }
      env.gmailApi.seen.length = 0;
      env.githubApi.seen.length = 0;
    });

    await t.step("googleapis lists messages at gmail.api.localhost", async () => {
      const mark = (await env.proxyAudit(0)).at(-1)?.seq ?? 0;
      const before = env.gmailApi.seen.length;
      const gmail = google.gmail({
        version: "v1",
        rootUrl: `http://gmail.api.localhost:${env.port}/`,
        headers: securixHeaders(env),
        agent: localhostAgent(),
      });
      const listed = await gmail.users.messages.list({
        userId: "me",
        maxResults: 10,
        q: "from:bob is:unread",
      });
      assert.equal(listed.status, 200);
      assert.equal(listed.data.messages?.length, 10);
      assert.deepEqual(listed.data.messages?.[0], {
        id: "18f0000000000001",
        threadId: "18e0000000000001",
      });
      assert.equal(listed.data.resultSizeEstimate, 40);
      assert.equal(listed.data.nextPageToken, "page-2");

      const calls = env.gmailApi.seen.slice(before);
      assert.equal(calls.length, 1);
      assert.equal(calls[0].path, "/gmail/v1/users/me/messages");
      assert.equal(calls[0].query.get("q"), "from:bob is:unread");
      assert.equal(calls[0].query.get("maxResults"), "10");
      await assertClean(env, calls[0], "gmail");

      const audit = await env.proxyAudit(mark);
      assert.equal(audit.length, 1);
      assert.equal(audit[0].provider, "gmail");
      assert.equal(audit[0].entityId, ENTITY);
      assert.equal(audit[0].agentId, "agent-1");
      assert.equal(audit[0].data.status, 200);
      assert.equal(audit[0].data.decision, "allowed");
      assert.equal(audit[0].data.path, "/gmail/v1/users/me/messages?maxResults&q");
      assert.equal(calls[0].gzip, true);
      // The compressed answer passed through untouched: the caller got (and
      // the audit counts) the provider's gzip bytes, not a decoded body.
      assert.notEqual(calls[0].sentBytes, calls[0].plainBytes);
      assert.equal(
        audit[0].data.bytesOut,
        calls[0].sentBytes,
        "the bytes sent to the caller, still compressed",
      );
    });

    await t.step("@octokit/rest reads a repository at github.api.localhost", async () => {
      const mark = (await env.proxyAudit(0)).at(-1)?.seq ?? 0;
      const before = env.githubApi.seen.length;
      const transport = localhostFetch();
      try {
        const octokit = new Octokit({
          baseUrl: `http://github.api.localhost:${env.port}`,
          request: { fetch: transport.fetch },
        });
        // Octokit's documented way to add headers to every request.
        octokit.hook.before("request", (options) => {
          Object.assign(options.headers, securixHeaders(env));
        });
        const repo = await octokit.rest.repos.get({ owner: "octo-org", repo: "hello-world" });
        assert.equal(repo.status, 200);
        assert.equal(repo.data.full_name, "octo-org/hello-world");
        assert.equal(repo.data.default_branch, "main");
        assert.equal(repo.data.owner.login, "octo-org");
      } finally {
        transport.close();
      }

      const calls = env.githubApi.seen.slice(before);
      assert.equal(calls.length, 1);
      assert.equal(calls[0].path, "/repos/octo-org/hello-world");
      await assertClean(env, calls[0], "github");

      const audit = await env.proxyAudit(mark);
      assert.equal(audit.length, 1);
      assert.equal(audit[0].provider, "github");
      assert.equal(audit[0].entityId, ENTITY);
      assert.equal(audit[0].data.status, 200);
      assert.equal(audit[0].data.path, "/repos/octo-org/hello-world");
    });

    await t.step("path fallback: the same SDKs and plain fetch at /proxy/<provider>/", async () => {
      const mark = (await env.proxyAudit(0)).at(-1)?.seq ?? 0;
      const gmailBefore = env.gmailApi.seen.length;
      const githubBefore = env.githubApi.seen.length;

      // No resolution trick needed: the appliance's own address. googleapis
      // keeps only the origin of a client-wide `rootUrl` (it resolves the API
      // path against it), so a root with a path prefix goes in the per-call
      // options, where it is prepended as given.
      const gmail = google.gmail({ version: "v1", headers: securixHeaders(env) });
      const listed = await gmail.users.messages.list({ userId: "me", maxResults: 3 }, {
        rootUrl: `${env.publicUrl}/proxy/gmail/`,
      });
      assert.equal(listed.data.messages?.length, 3);
      const octokit = new Octokit({ baseUrl: `${env.publicUrl}/proxy/github` });
      const repo = await octokit.rest.repos.get({
        owner: "octo-org",
        repo: "spoon-knife",
        headers: securixHeaders(env),
      });
      assert.equal(repo.data.full_name, "octo-org/spoon-knife");

      const plainGmail = await fetch(
        `${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages?maxResults=2`,
        { headers: securixHeaders(env) },
      );
      assert.equal(plainGmail.status, 200);
      assert.equal((await plainGmail.json()).messages.length, 2);
      const plainGithub = await fetch(`${env.publicUrl}/proxy/github/repos/octo-org/linguist`, {
        headers: { ...securixHeaders(env), accept: "application/vnd.github+json" },
      });
      assert.equal(plainGithub.status, 200);
      assert.equal((await plainGithub.json()).full_name, "octo-org/linguist");

      const gmailCalls = env.gmailApi.seen.slice(gmailBefore);
      const githubCalls = env.githubApi.seen.slice(githubBefore);
      assert.equal(gmailCalls.length, 2);
      assert.equal(githubCalls.length, 2);
      for (const call of gmailCalls) await assertClean(env, call, "gmail");
      for (const call of githubCalls) await assertClean(env, call, "github");

      const audit = await env.proxyAudit(mark);
      assert.deepEqual(audit.map((a) => [a.provider, a.data.status]), [
        ["gmail", 200],
        ["github", 200],
        ["gmail", 200],
        ["github", 200],
      ]);
    });

    await t.step("a caller without the right headers gets nothing from upstream", async () => {
      const before = env.gmailApi.seen.length;
      const gmail = google.gmail({
        version: "v1",
        rootUrl: `http://gmail.api.localhost:${env.port}/`,
        headers: { ...securixHeaders(env), "securix-entity-id": "someone-else" },
        agent: localhostAgent(),
        retry: false,
      });
      await assert.rejects(
        gmail.users.messages.list({ userId: "me" }),
        (error: { status?: number; response?: { data?: { error?: { code?: string } } } }) =>
          error.status === 401 && error.response?.data?.error?.code === "SX-NOT-CONNECTED",
      );
      assert.equal(env.gmailApi.seen.length, before, "refused before reaching the provider");
    });
  } finally {
    await env.close();
  }
});
