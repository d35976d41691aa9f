import assert from "node:assert/strict";
import { catalogNames, catalogProvider } from "./catalog.ts";
import type { ProviderDefinition } from "./provider_definition.ts";

function definition(name: string): ProviderDefinition {
  const found = catalogProvider(name);
  assert.ok(found, name);
  return found;
}

Deno.test("catalog: the providers of the spec, by name, and nothing else", () => {
  assert.deepEqual(catalogNames(), [
    "gmail",
    "drive",
    "calendar",
    "github",
    "slack",
    "microsoft",
    "dropbox",
    "notion",
    "gitlab",
    "atlassian",
    "linear",
  ]);
  assert.equal(catalogProvider("google"), null);
  assert.equal(catalogProvider("__proto__"), null);
});

Deno.test("catalog: proxy hosts map to the upstream APIs of the spec", () => {
  const hosts = Object.fromEntries(
    catalogNames().flatMap((n) => definition(n).apis.map((a) => [a.host, a.baseUrl])),
  );
  assert.deepEqual(hosts, {
    gmail: "https://gmail.googleapis.com",
    drive: "https://www.googleapis.com",
    calendar: "https://www.googleapis.com",
    github: "https://api.github.com",
    slack: "https://slack.com",
    microsoft: "https://graph.microsoft.com",
    dropbox: "https://api.dropboxapi.com",
    "dropbox-content": "https://content.dropboxapi.com",
    notion: "https://api.notion.com",
    gitlab: "https://gitlab.com",
    atlassian: "https://api.atlassian.com",
    linear: "https://api.linear.app",
  });
});

Deno.test("catalog: every definition is complete and safe", () => {
  for (const name of catalogNames()) {
    const d = definition(name);
    assert.equal(d.name, name);
    assert.equal(d.strategy, "oauth2", name);
    assert.ok(d.oauth, name);
    const urls = [
      d.oauth.authorizationUrl,
      d.oauth.tokenUrl,
      d.oauth.revocation?.url,
      d.identity?.url,
      ...d.apis.map((a) => a.baseUrl),
    ].filter((u): u is string => u !== undefined);
    for (const url of urls) {
      const parsed = new URL(url.replace("{client_id}", "x"));
      assert.equal(parsed.protocol, "https:", `${name}: ${url}`);
      assert.equal(parsed.search, "", `${name}: no query in ${url}`);
    }
    for (const api of d.apis) assert.match(api.host, /^[a-z][a-z0-9-]*$/, name);
    assert.equal(d.apis[0].host, name, "the primary proxy host is the provider name");
    assert.ok(d.identity, `${name} reads the connected account`);
    assert.equal(d.injection.kind, "bearer", name);
    for (const scope of [...d.defaultScopes, ...d.oauth.alwaysScopes]) {
      assert.ok(!scope.includes(d.oauth.scopeSeparator), `${name}: ${scope}`);
    }
  }
});

Deno.test("catalog: the quirks the spec names", () => {
  const gmail = definition("gmail").oauth!;
  assert.deepEqual(gmail.extraAuthorizationParams, { access_type: "offline", prompt: "consent" });
  assert.equal(definition("drive").oauth, gmail, "Google products share the family settings");
  assert.equal(definition("slack").oauth?.scopeParam, "user_scope");
  assert.equal(definition("slack").oauth?.tokenResponse, "slack");
  assert.equal(definition("notion").oauth?.clientAuth, "basic");
  assert.deepEqual(definition("notion").defaultHeaders, { "Notion-Version": "2022-06-28" });
  assert.equal(definition("linear").oauth?.scopeSeparator, ",");
  assert.equal(definition("atlassian").oauth?.clientAuth, "post");
  assert.ok(definition("microsoft").oauth?.alwaysScopes.includes("offline_access"));
  assert.equal(definition("dropbox").oauth?.extraAuthorizationParams.token_access_type, "offline");
  assert.equal(definition("github").oauth?.revocation?.style, "github_grant");
  const selfManaged = definition("gitlab").selfManaged?.("https://git.corp.example");
  assert.equal(selfManaged?.oauth?.tokenUrl, "https://git.corp.example/oauth/token");
});

/** Trimmed real answers of each identity endpoint. */
const IDENTITY_SAMPLES: Record<
  string,
  [unknown, { id: string; email: string | null; name: string | null }]
> = {
  gmail: [
    { sub: "1097", email: "ann@example.com", email_verified: true, name: "Ann" },
    { id: "1097", email: "ann@example.com", name: "Ann" },
  ],
  github: [
    { login: "octocat", id: 583231, name: null, email: null },
    { id: "583231", email: null, name: "octocat" },
  ],
  slack: [
    { ok: true, url: "https://t.slack.com/", team: "T", user: "ann", team_id: "T1", user_id: "U1" },
    { id: "U1", email: null, name: "ann" },
  ],
  microsoft: [
    { id: "87d3", displayName: "Ann Lee", mail: null, userPrincipalName: "ann@corp.example" },
    { id: "87d3", email: "ann@corp.example", name: "Ann Lee" },
  ],
  dropbox: [
    { account_id: "dbid:AAH4", email: "ann@example.com", name: { display_name: "Ann Lee" } },
    { id: "dbid:AAH4", email: "ann@example.com", name: "Ann Lee" },
  ],
  notion: [
    {
      object: "user",
      id: "bot-1",
      type: "bot",
      name: "Securix",
      bot: {
        owner: {
          type: "user",
          user: { object: "user", id: "u-1", name: "Ann", person: { email: "ann@example.com" } },
        },
      },
    },
    { id: "u-1", email: "ann@example.com", name: "Ann" },
  ],
  gitlab: [
    { id: 1, username: "ann", name: "Ann Lee", email: "ann@example.com" },
    { id: "1", email: "ann@example.com", name: "Ann Lee" },
  ],
  atlassian: [
    { account_id: "5b10a", email: "ann@example.com", name: "Ann Lee" },
    { id: "5b10a", email: "ann@example.com", name: "Ann Lee" },
  ],
  linear: [
    { data: { viewer: { id: "lin-1", name: "Ann", email: "ann@example.com" } } },
    { id: "lin-1", email: "ann@example.com", name: "Ann" },
  ],
};

Deno.test("catalog: each identity parser reads its provider's answer, and refuses others", () => {
  for (const name of catalogNames()) {
    const sample = IDENTITY_SAMPLES[name] ?? IDENTITY_SAMPLES.gmail;
    const parse = definition(name).identity!.parse;
    assert.deepEqual(parse(sample[0]), sample[1], name);
    assert.equal(parse({ error: "invalid_token" }), null, name);
    assert.equal(parse(undefined), null, name);
  }
  const slack = definition("slack").identity!.parse;
  assert.equal(slack({ ok: false, error: "invalid_auth", user_id: "U1" }), null);
  const notion = definition("notion").identity!.parse;
  assert.deepEqual(
    notion({ id: "bot-1", name: "Workspace bot", bot: { owner: { type: "workspace" } } }),
    {
      id: "bot-1",
      email: null,
      name: "Workspace bot",
    },
  );
});
