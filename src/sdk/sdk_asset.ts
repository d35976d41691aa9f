import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import sdkJs from "./generated/securix_sdk.js" with { type: "text" };

/**
 * The server SDK bundle as served at `/sdk/securix.js`; imported as text, so a compiled binary
 * carries it (a file read from the source tree would not be there). Rebuilt by
 * `deno task sdk:build` (sdk_bundle.ts).
 */
export const SDK_JS: string = sdkJs;

/** Strong validator for caches: base64url(sha256(file)), first 16 characters. */
export const SDK_JS_ETAG: string = `"${
  encodeBase64urlNoPadding(sha256(new TextEncoder().encode(sdkJs))).slice(0, 16)
}"`;
