import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { Hono } from "hono";
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import auditTailJs from "./audit_tail.js" with { type: "text" };
import consoleCss from "./console.css" with { type: "text" };
import overviewChartsJs from "./overview_charts.js" with { type: "text" };
import themeCss from "../../web/theme.css" with { type: "text" };

/** A console asset, embedded through the module graph (the compiled binary carries it). */
interface ConsoleAsset {
  /** Content-hashed, so pages can let browsers keep it for good. */
  path: string;
  contentType: string;
  body: string;
}

function asset(name: string, ext: string, body: string): ConsoleAsset {
  const hash = encodeBase64urlNoPadding(sha256(new TextEncoder().encode(body))).slice(0, 12);
  const contentType = ext === "css" ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
  return { path: `/console/assets/${name}.${hash}.${ext}`, contentType, body };
}

const ASSETS = {
  // The palette and reset the end-user pages use too, in front of the console's own rules.
  consoleCss: asset("console", "css", `${themeCss}\n${consoleCss}`),
  uplotCss: asset("uplot", "css", uplotCss),
  uplotJs: asset("uplot", "js", uplotJs),
  overviewJs: asset("overview_charts", "js", overviewChartsJs),
  auditTailJs: asset("audit_tail", "js", auditTailJs),
};

export const CONSOLE_ASSETS: { [K in keyof typeof ASSETS]: string } = Object.fromEntries(
  Object.entries(ASSETS).map(([k, a]) => [k, a.path]),
) as { [K in keyof typeof ASSETS]: string };

/** The console's stylesheet and scripts (uPlot from npm, pinned); nothing from another origin. */
export function consoleAssetRoutes(): Hono {
  const app = new Hono();
  for (const a of Object.values(ASSETS)) {
    app.get(a.path, () =>
      new Response(a.body, {
        headers: {
          "content-type": a.contentType,
          "cache-control": "public, max-age=31536000, immutable",
          "x-content-type-options": "nosniff",
        },
      }));
  }
  return app;
}
