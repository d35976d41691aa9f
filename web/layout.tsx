import { ASSET_URLS } from "./assets.ts";
import { LockIcon, ShieldIcon } from "./icons.tsx";

export interface LayoutProps {
  /** Shown in the tab as "<title> · Securix". */
  title: string;
  /** A same-origin script URL, loaded with `defer`; the page CSP allows no inline script. */
  script?: string;
  /** A same-origin URL to move on to at once (no script needed); the page links to it too. */
  children?: unknown;
}

const FAVICON = `data:image/svg+xml,${
  encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#1f4fd8"/><path d="M16 6l8 3.2v5.9c0 4.9-3.3 8.5-8 10.5-4.7-2-8-5.6-8-10.5V9.2z" fill="none" stroke="#fff" stroke-width="2.4" stroke-linejoin="round"/></svg>`,
  )
}`;

/** The frame of every end-user page: wordmark, one card, footer. No inline script or style. */
export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex, nofollow" />
        <title>{`${props.title} · Securix`}</title>
        <link rel="icon" href={FAVICON} />
        <link rel="stylesheet" href={ASSET_URLS.stylesCss} />
        {props.script ? <script src={props.script} defer></script> : null}
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <div class="page">
          <div class="stack">
            <header class="brand">
              <span class="brand-mark">
                <ShieldIcon />
              </span>
              <span class="brand-name">Securix</span>
            </header>
            <main class="card" id="main">
              {props.children}
            </main>
          </div>
          <footer class="footer">
            <LockIcon />Protected by Securix. Your credentials stay in an encrypted vault.
          </footer>
        </div>
      </body>
    </html>
  );
}
