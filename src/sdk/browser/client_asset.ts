import clientJs from "./client.js" with { type: "text" };

/** The browser client as served at `/sdk/client.js`; embedded, so a compiled binary carries it. */
export const CLIENT_JS: string = clientJs;

/**
 * Strong validator for caches, computed by `deno task sdk:build`: edit client.js, then run it
 * (sdk_bundle_test.ts fails while the ETag is stale).
 */
export { CLIENT_JS_ETAG } from "../generated/asset_etags.ts";
