import assert from "node:assert/strict";
import { assetEtag } from "./asset_etag.ts";
import { CLIENT_JS, CLIENT_JS_ETAG } from "./browser/client_asset.ts";
import { SDK_DTS, SDK_DTS_ETAG, SDK_JS, SDK_JS_ETAG } from "./sdk_asset.ts";
import {
  buildSdkBundle,
  buildSdkBundleDeclarations,
  SDK_BUNDLE_HEADER,
  SDK_BUNDLE_PATH,
  SDK_DECLARATIONS_PATH,
  SDK_ETAGS_PATH,
  sdkEtagsModule,
} from "./sdk_bundle.ts";

Deno.test("sdk bundle: the header goes first and the temporary directory is removed, even on failure", async () => {
  const removed: string[] = [];
  const deps = (fail: boolean) => ({
    bundle: (entry: string, out: string, cwd: string) => {
      assert.match(entry, /\/src\/sdk\/sdk_entry\.ts$/);
      assert.equal(out, "/tmp/x/securix_sdk.js");
      assert.ok(new URL("src/sdk/sdk_entry.ts", `file://${cwd}`).pathname === entry);
      return fail ? Promise.reject(new Error("deno bundle failed")) : Promise.resolve();
    },
    makeTempDir: () => Promise.resolve("/tmp/x"),
    readTextFile: () => Promise.resolve("export {};\n"),
    remove: (path: string) => Promise.resolve(void removed.push(path)),
  });
  assert.equal(await buildSdkBundle(deps(false)), SDK_BUNDLE_HEADER + "export {};\n");
  await assert.rejects(buildSdkBundle(deps(true)), /deno bundle failed/);
  assert.deepEqual(removed, ["/tmp/x", "/tmp/x"]);
});

Deno.test("sdk bundle: the committed src/sdk/generated/securix_sdk.js is what `deno task sdk:build` builds now", async () => {
  let fresh: string;
  try {
    fresh = await buildSdkBundle();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // deno bundle fetches esbuild from the npm registry on first use; offline, say so and skip
    // rather than fail every run (any other bundle error still fails).
    if (/esbuild/i.test(message) && /fetch|download|request|network|dns|connect/i.test(message)) {
      console.warn(`sdk_bundle_test: skipped — deno bundle could not fetch esbuild: ${message}`);
      return;
    }
    throw error;
  }
  const committed = await Deno.readTextFile(SDK_BUNDLE_PATH);
  assert.ok(
    committed === fresh,
    "src/sdk/generated/securix_sdk.js is stale: run `deno task sdk:build` and commit it",
  );
});

Deno.test("sdk bundle: the committed ETags are the hashes of the files served now", async () => {
  // sha256("") in base64url starts 47DEQpj8HBSa-_TI: the ETag is that prefix, quoted.
  assert.equal(assetEtag(""), `"47DEQpj8HBSa-_TI"`);
  assert.equal(
    SDK_JS_ETAG,
    assetEtag(SDK_JS),
    "securix_sdk.js changed without `deno task sdk:build`",
  );
  assert.equal(
    CLIENT_JS_ETAG,
    assetEtag(CLIENT_JS),
    "client.js changed without `deno task sdk:build`",
  );
  assert.equal(SDK_DTS_ETAG, assetEtag(SDK_DTS), "securix_sdk.d.ts changed without a rebuild");
  assert.equal(
    await Deno.readTextFile(SDK_ETAGS_PATH),
    sdkEtagsModule({ clientJs: CLIENT_JS, sdkJs: SDK_JS, sdkDts: SDK_DTS }),
  );
});

Deno.test("sdk bundle: it stays small, without zod's methods and locales (812 KB with them)", () => {
  const bytes = new TextEncoder().encode(SDK_JS).length;
  assert.ok(bytes <= 300 * 1024, `securix_sdk.js is ${bytes} bytes, more than 300 KB`);
  const locales = [...SDK_JS.matchAll(/^\/\/ \S*\/zod\/v4\/locales\/(\S+)\.js$/gm)].map((m) =>
    m[1]
  );
  assert.deepEqual(locales, ["en"]);
  assert.doesNotMatch(SDK_JS, /zod\/v4\/classic\//, "zod/mini, not the classic API");
});

Deno.test("sdk bundle: the committed src/sdk/generated/securix_sdk.d.ts is what `deno task sdk:build` makes now", async () => {
  let fresh: string;
  try {
    fresh = await buildSdkBundleDeclarations();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // As for esbuild above: offline, without dts-bundle-generator in the cache, say so and skip.
    if (
      /dts-bundle-generator|typescript/i.test(message) &&
      /fetch|download|request|network|dns|connect/i.test(message)
    ) {
      console.warn(
        `sdk_bundle_test: skipped — dts-bundle-generator could not be fetched: ${message}`,
      );
      return;
    }
    throw error;
  }
  assert.ok(
    await Deno.readTextFile(SDK_DECLARATIONS_PATH) === fresh,
    "src/sdk/generated/securix_sdk.d.ts is stale: run `deno task sdk:build` and commit it",
  );
});
