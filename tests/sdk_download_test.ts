/**
 * The server SDK as an app developer gets it: downloaded from the appliance's /sdk/securix.js
 * into a directory outside this repository, imported by a plain script, and run by Node and by
 * Deno against the running appliance. Nothing here imports src/sdk: if the bundle needed a
 * file of this checkout, a Deno-only API or an npm package, these scripts would fail.
 */
import assert from "node:assert/strict";
import { generateWebhookSecret, signatureHeader } from "../src/webhooks/signature.ts";
import { freePort } from "./helpers/process.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { UNREACHABLE_GMAIL } from "./helpers/temp_runtime.ts";

// What an app's backend does with the SDK: list its connections, fail with the appliance's
// code on a bad key, and verify a webhook (a delivery signed during a secret rotation, then a
// forged one). Prints one JSON line.
const SCRIPT = `
import { Securix, SecurixApiError, WebhookVerificationError } from "./securix.js";
const input = JSON.parse(process.argv[2] ?? globalThis.Deno?.args[0]);
const securix = new Securix({ baseUrl: input.baseUrl, apiKey: input.apiKey });
const connections = await securix.connections.list("user-42");
let badKey;
try {
  await new Securix({ baseUrl: input.baseUrl, apiKey: "sx_not_a_key" }).connections.list();
} catch (e) {
  badKey = { isApiError: e instanceof SecurixApiError, code: e.code, status: e.status };
}
const event = Securix.webhooks.verify(input.body, input.headers, input.secret);
let forged;
try {
  Securix.webhooks.verify(input.body.replace("user-42", "user-43"), input.headers, input.secret);
} catch (e) {
  forged = e instanceof WebhookVerificationError;
}
console.log(JSON.stringify({
  connections: connections.map((c) => ({ id: c.id, provider: c.provider, status: c.status })),
  badKey,
  event,
  forged,
}));
`;

// What a TypeScript app writes against the downloaded file and its downloaded declarations.
const TYPED = `
// @deno-types="./securix.d.ts"
import { Securix, SecurixApiError, type Connection } from "./securix.js";
const securix = new Securix({ baseUrl: "https://securix.example.com", apiKey: "sx_key" });
const connections: Connection[] = await securix.connections.list("user-42");
const ids: string[] = connections.map((c) => c.id);
const error = new SecurixApiError("SX-NOT-FOUND", "gone", { status: 404 });
console.log(ids, error.code);
`;

// Imported by URL: the types come from the X-TypeScript-Types header, and they are enforced.
const WRONG_BY_URL = (base: string) => `
import { Securix } from "${base}/sdk/securix.js";
const securix = new Securix({ baseUrl: "${base}", apiKey: "sx_key" });
const n: number = (await securix.connections.list(42))[0].id;
console.log(n);
`;

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `${cmd} exited ${out.code}: ${stderr}`);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test({
  name:
    "sdk download: /sdk/securix.js runs under Node and Deno against the appliance, typed by /sdk/securix.d.ts",
  async fn() {
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const temp = await openTempAppliance({
      raw: {
        server: { listen: `127.0.0.1:${port}`, public_url: base, base_domain: "localhost" },
        providers: { gmail: UNREACHABLE_GMAIL },
      },
    });
    const served = await serveRuntime(temp.appliance, port, { audit: false });
    const dir = await Deno.makeTempDir({ prefix: "securix-sdk-app-" });
    try {
      const { app, apiKey } = await seedApp(temp.appliance, { name: "shop" });
      await seedConnection(temp.appliance, {
        id: "con_sdk_download",
        appId: app.id,
        entityId: "user-42",
        provider: "gmail",
        accessToken: "ya29.never-leaves-the-appliance",
      });
      const res = await fetch(`${base}/sdk/securix.js`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
      await Deno.writeTextFile(`${dir}/securix.js`, await res.text());
      await Deno.writeTextFile(`${dir}/app.mjs`, SCRIPT);

      const secrets = [generateWebhookSecret(), generateWebhookSecret()];
      const body = JSON.stringify({
        type: "connection.created",
        timestamp: "2026-01-01T00:00:00.000Z",
        data: { entityId: "user-42", connectionId: "con_sdk_download", provider: "gmail" },
      });
      const timestamp = Math.floor(Date.now() / 1000);
      const input = JSON.stringify({
        baseUrl: base,
        apiKey,
        body,
        secret: secrets[1],
        headers: {
          "webhook-id": "msg_1",
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signatureHeader(secrets, "msg_1", timestamp, body),
        },
      });
      const expected = {
        connections: [{ id: "con_sdk_download", provider: "gmail", status: "active" }],
        badKey: { isApiError: true, code: "SX-API-KEY-INVALID", status: 401 },
        event: JSON.parse(body),
        forged: true,
      };
      const node = await run("node", ["app.mjs", input], dir);
      assert.deepEqual(JSON.parse(node), expected, "node");
      const deno = await run(
        Deno.execPath(),
        ["run", "--no-config", `--allow-net=127.0.0.1:${port}`, "app.mjs", input],
        dir,
      );
      assert.deepEqual(JSON.parse(deno), expected, "deno");

      const types = await fetch(`${base}/sdk/securix.d.ts`);
      assert.equal(types.status, 200);
      assert.equal(types.headers.get("content-type"), "application/typescript; charset=utf-8");
      await Deno.writeTextFile(`${dir}/securix.d.ts`, await types.text());
      await Deno.writeTextFile(`${dir}/typed.ts`, TYPED);
      await run(Deno.execPath(), ["check", "--no-config", "typed.ts"], dir);
      await Deno.writeTextFile(`${dir}/wrong.ts`, WRONG_BY_URL(base));
      const wrong = await new Deno.Command(Deno.execPath(), {
        args: ["check", "--no-config", `--allow-import=127.0.0.1:${port}`, "wrong.ts"],
        cwd: dir,
        env: { DENO_DIR: `${dir}/deno_dir`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const errors = new TextDecoder().decode(wrong.stderr);
      assert.notEqual(wrong.code, 0, "a wrong call type-checks");
      // Both mistakes are found: list() takes a string, and an id is a string.
      assert.match(errors, /TS2345 \[ERROR\]: Argument of type 'number'/);
      assert.match(errors, /TS2322 \[ERROR\]: Type 'string' is not assignable to type 'number'/);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await served.stop();
      await temp.cleanup();
    }
  },
});
