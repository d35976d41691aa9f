/** Debian's Chromium for browser tests; tests skip (with a message) when it is missing. */
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--headless",
];

export const hasChromium: boolean = (() => {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
})();

/** Prints why a browser test file is skipped; call once at the top of the file. */
export function explainSkip(what: string): void {
  if (!hasChromium) {
    console.warn(`SKIP ${what}: ${CHROMIUM_PATH} not found (apt-get install chromium)`);
  }
}

/** `extraArgs` e.g. `--host-resolver-rules=MAP app.test 127.0.0.1` for a non-localhost name. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
