import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import consentBindingJs from "./consent_binding.js" with { type: "text" };
import popupResultJs from "./popup_result.js" with { type: "text" };
import stylesCss from "./styles.css" with { type: "text" };
import themeCss from "./theme.css" with { type: "text" };

/** The pages' stylesheet, after the palette it shares with the console; embedded, so the compiled
 * binary carries it. */
export const STYLES_CSS: string = `${themeCss}\n${stylesCss}`;
/** The popup done page's script (posts the result to the opener). */
export const POPUP_RESULT_JS: string = popupResultJs;
/** The popup consent page's script (answers nothing itself: asks the opener for its proof). */
export const CONSENT_BINDING_JS: string = consentBindingJs;

export interface StaticAsset {
  /** Stable path, revalidated with the ETag. */
  path: string;
  /** Path with the content hash in it; served as immutable. Pages link this one. */
  hashedPath: string;
  etag: string;
  contentType: string;
  body: string;
}

function asset(name: string, ext: string, contentType: string, body: string): StaticAsset {
  const hash = encodeBase64urlNoPadding(sha256(new TextEncoder().encode(body))).slice(0, 12);
  return {
    path: `/assets/${name}.${ext}`,
    hashedPath: `/assets/${name}.${hash}.${ext}`,
    etag: `"${hash}"`,
    contentType,
    body,
  };
}

export const STYLES: StaticAsset = asset("styles", "css", "text/css; charset=utf-8", STYLES_CSS);
export const POPUP_RESULT: StaticAsset = asset(
  "popup_result",
  "js",
  "text/javascript; charset=utf-8",
  POPUP_RESULT_JS,
);

export const CONSENT_BINDING: StaticAsset = asset(
  "consent_binding",
  "js",
  "text/javascript; charset=utf-8",
  CONSENT_BINDING_JS,
);

/** The URLs pages link to (content-hashed, so they can be cached for good). */
export const ASSET_URLS = {
  stylesCss: STYLES.hashedPath,
  popupResultJs: POPUP_RESULT.hashedPath,
  consentBindingJs: CONSENT_BINDING.hashedPath,
} as const;
