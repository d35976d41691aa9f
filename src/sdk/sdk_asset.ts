import sdkJs from "./generated/securix_sdk.js" with { type: "text" };
import sdkDts from "./generated/securix_sdk.d.ts" with { type: "text" };

/**
 * The server SDK bundle as served at `/sdk/securix.js`; imported as text, so a compiled binary
 * carries it (a file read from the source tree would not be there). Rebuilt by
 * `deno task sdk:build` (sdk_bundle.ts).
 */
export const SDK_JS: string = sdkJs;

/** Strong validator for caches, computed when the bundle was built. */
export { SDK_JS_ETAG } from "./generated/asset_etags.ts";

/** The bundle's type declarations as served at `/sdk/securix.d.ts` (sdk_declarations.ts). */
export const SDK_DTS: string = sdkDts;

export { SDK_DTS_ETAG } from "./generated/asset_etags.ts";
