import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import clientJs from "./client.js" with { type: "text" };

/** The browser client as served at `/sdk/client.js`; embedded, so a compiled binary carries it. */
export const CLIENT_JS: string = clientJs;

/** Strong validator for caches: base64url(sha256(file)), first 16 characters. */
export const CLIENT_JS_ETAG: string = `"${
  encodeBase64urlNoPadding(sha256(new TextEncoder().encode(clientJs))).slice(0, 16)
}"`;
