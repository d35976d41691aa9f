import type { Child } from "hono/jsx";
import { CONSOLE_ASSETS } from "./console_assets.ts";

const FAVICON = `data:image/svg+xml,${
  encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#1f4fd8"/><path d="M16 6l8 3.2v5.9c0 4.9-3.3 8.5-8 10.5-4.7-2-8-5.6-8-10.5V9.2z" fill="none" stroke="#fff" stroke-width="2.4" stroke-linejoin="round"/></svg>`,
  )
}`;

export const NAV = [
  ["overview", "/console", "Overview"],
  ["apps", "/console/apps", "Apps"],
  ["connections", "/console/connections", "Connections"],
  ["sessions", "/console/sessions", "Sessions"],
  ["rules", "/console/rules", "Rules"],
  ["anomalies", "/console/anomalies", "Anomalies"],
  ["approvals", "/console/approvals", "Approvals"],
  ["webhooks", "/console/webhooks", "Webhooks"],
  ["audit", "/console/audit", "Audit"],
  ["providers", "/console/providers", "Providers"],
] as const;

export type NavKey = typeof NAV[number][0];

function Shield() {
  return (
    <svg
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
    >
      <path d="M12 3l7.5 3v5.5c0 4.6-3.1 8-7.5 9.9-4.4-1.9-7.5-5.3-7.5-9.9V6z" />
    </svg>
  );
}

/** The shield and the product's name, in the top bar and above the sign-in card. */
function BrandName() {
  return (
    <>
      <span class="brand-mark">
        <Shield />
      </span>
      <span>
        Securix <small>console</small>
      </span>
    </>
  );
}

function Head(props: { title: string; styles?: string[]; scripts?: string[] }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <meta name="referrer" content="same-origin" />
      <meta name="robots" content="noindex, nofollow" />
      <title>{`${props.title} · Securix console`}</title>
      <link rel="icon" href={FAVICON} />
      <link rel="stylesheet" href={CONSOLE_ASSETS.consoleCss} />
      {(props.styles ?? []).map((href) => <link key={href} rel="stylesheet" href={href} />)}
      {(props.scripts ?? []).map((src) => <script key={src} src={src} defer></script>)}
    </head>
  );
}

export interface ConsoleLayoutProps {
  title: string;
  active: NavKey;
  admin: string;
  csrf: string;
  /** Same-origin scripts (progressive enhancement); the CSP allows no inline script. */
  scripts?: string[];
  styles?: string[];
  notice?: { kind: "ok" | "bad" | "warn"; text: string } | null;
  children?: Child;
}

/** The frame of every signed-in console page: top bar with the sections, then the page. */
export function ConsoleLayout(props: ConsoleLayoutProps) {
  return (
    <html lang="en">
      <Head title={props.title} styles={props.styles} scripts={props.scripts} />
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="topbar">
          <a class="brand" href="/console">
            <BrandName />
          </a>
          <nav class="nav" aria-label="Sections">
            {NAV.map(([key, href, label]) => (
              <a href={href} aria-current={key === props.active ? "page" : undefined}>{label}</a>
            ))}
          </nav>
          <div class="who">
            <span class="hide-narrow">{props.admin}</span>
            <form method="post" action="/console/sign-out">
              <input type="hidden" name="_csrf" value={props.csrf} />
              <button type="submit" class="secondary small">Sign out</button>
            </form>
          </div>
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.notice
            ? <p class={`notice ${props.notice.kind}`} role="status">{props.notice.text}</p>
            : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** Sign-in, enrolment and login-link pages: one card, no navigation. */
export function AuthLayout(props: { title: string; children?: Child }) {
  return (
    <html lang="en">
      <Head title={props.title} />
      <body>
        <main class="auth" id="main">
          <div class="brand">
            <BrandName />
          </div>
          <div class="card">
            <h1>{props.title}</h1>
            {props.children}
          </div>
        </main>
      </body>
    </html>
  );
}

/** A POST form with the session's CSRF token. */
export function PostForm(
  props: { action: string; csrf: string; class?: string; children?: Child },
) {
  return (
    <form method="post" action={props.action} class={props.class}>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}

export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
