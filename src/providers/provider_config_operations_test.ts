import assert from "node:assert/strict";
import { resolveConfig } from "../config/load.ts";
import { operationMapFor } from "./operation_maps.ts";
import type { EnabledProviderConfig } from "./provider_config.ts";
import { resolveTables } from "./test_util.ts";

/** `[providers.corp.operations]` as securix.toml's `[[providers.corp.operations]]` gives them. */
const CORP = {
  kind: "oauth2",
  client_id: "securix",
  authorization_url: "https://idp.corp.example/authorize",
  token_url: "https://idp.corp.example/token",
  api_base_url: "https://api.corp.example",
};

async function load(operations: unknown, extra: Record<string, unknown> = {}) {
  return await resolveConfig(
    {
      vault: { master_key: "env:MASTER" },
      providers: { corp: { ...CORP, operations }, ...extra },
    },
    {
      source: "/etc/securix/securix.toml",
      baseDir: "/etc/securix",
      env: (n) => ({ MASTER: "ab".repeat(32) } as Record<string, string>)[n],
    },
  );
}

async function loadError(operations: unknown, extra: Record<string, unknown> = {}) {
  try {
    await load(operations, extra);
  } catch (error) {
    return (error as Error).message;
  }
  throw new assert.AssertionError({ message: "expected the config to be refused" });
}

const SEND = { method: "post", path: "/v1/mail/{id}/send", id: "corp.mail.send", class: "send" };

Deno.test("custom operations: parsed, methods uppercased, carried to the provider and its map", async () => {
  const config = await load([SEND, {
    method: "DELETE",
    path: "/v1/mail/{id}",
    id: "corp.mail.delete",
    class: "delete",
  }]);
  const corp = config.providers.corp as EnabledProviderConfig;
  assert.deepEqual(corp.operations[0], { ...SEND, method: "POST" });
  const resolved = await resolveTables({ corp: { ...CORP, operations: [SEND] } });
  const provider = resolved.enabled.get("corp")!;
  assert.deepEqual(provider.operations, [{ ...SEND, method: "POST" }]);
  const map = operationMapFor("corp", provider.operations);
  assert.deepEqual(map.resolve({ method: "POST", path: "/v1/mail/7/%73end", query: "" }), {
    id: "corp.mail.send",
    class: "send",
  });
  assert.deepEqual(map.resolve({ method: "PUT", path: "/v1/other", query: "" }), {
    id: "corp.unknown",
    class: "write",
  });
});

Deno.test("custom operations: none declared is an empty list", async () => {
  const config = await load(undefined);
  assert.deepEqual((config.providers.corp as EnabledProviderConfig).operations, []);
});

Deno.test("custom operations: invalid entries say what is wrong and where", async () => {
  const cases: Array<[unknown, RegExp]> = [
    [
      { ...SEND },
      /corp\.operations.*expected a list of tables \(\[\[providers\.corp\.operations\]\]\)/,
    ],
    [
      [{ ...SEND, id: "other.mail.send" }],
      /operations\.0\.id.*starts with the provider name "corp\."/,
    ],
    [[{ ...SEND, id: "corp" }], /expected dot-separated names/],
    [[{ ...SEND, id: "corp.unknown" }], /"corp\.unknown" is what calls matching no operation get/],
    [
      [{ ...SEND, class: "exfiltrate" }],
      /operations\.0\.class.*expected read, write, send, delete/,
    ],
    [[{ ...SEND, method: "FETCH" }], /operations\.0\.method.*expected one of GET, HEAD, POST/],
    [[{ ...SEND, path: "v1/mail" }], /operations\.0\.path.*must start with \//],
    [[{ ...SEND, path: "/v1/{a}{b}" }], /two placeholders/],
    [[{ ...SEND, extra: 1 }], /operations\.0: unknown key extra; an operation has method/],
    [[{ method: "GET" }], /operations\.0\.path/],
    [["GET /x"], /expected a table with method, path, id and class/],
    [
      [SEND, { ...SEND, path: "/v1/mail/{other}/send", id: "corp.mail.send2" }],
      /overlaps POST \/v1\/mail\/\{id\}\/send/,
    ],
  ];
  for (const [operations, expected] of cases) {
    assert.match(await loadError(operations), expected, JSON.stringify(operations));
  }
});

Deno.test("custom operations: catalog providers cannot declare them", async () => {
  const message = await loadError(undefined, {
    gmail: { client_id: "c", client_secret: "s", operations: [] },
  });
  assert.match(message, /gmail\.operations.*catalog providers have built-in operations/);
});
