import { ASSET_URLS } from "./assets.ts";
import { Layout } from "./layout.tsx";
import { CheckIcon, DeviceIcon, LockIcon, ShieldIcon } from "./icons.tsx";

export interface ConsentScope {
  scope: string;
  /** Plain-language meaning, e.g. "Read your email". */
  description?: string;
}

export interface ConsentProvider {
  /** Catalog name, e.g. "gmail". */
  name: string;
  displayName: string;
  scopes: ConsentScope[];
  /** The account already linked (this session or an earlier one), if any. */
  connectedAccount?: string | null;
  status: "pending" | "connected" | "failed";
  /**
   * An agent's link to an existing connection may only reconnect that
   * account (its label); the page says so before the user signs in.
   */
  reconnectOnly?: string | null;
  /**
   * An agent's reconnect of a connection the user paused: it renews the
   * sign-in, the pause stays until the user resumes it.
   */
  staysPaused?: boolean;
}

export interface ConsentPageProps {
  appName: string;
  /** The app's web origin, shown so the user can tell who is asking. */
  appOrigin?: string;
  providers: ConsentProvider[];
  csrfToken: string;
  /** Base URL of the session's forms: posts go to `${formAction}/continue` and `/cancel`. */
  formAction: string;
  flow: "popup" | "device";
  /** A gateway consent: the user came by the app's single-use link, not by a typed code. */
  viaLink?: boolean;
  /** ISO timestamp. */
  expiresAt: string;
  /** ISO timestamp of when the app created the session; shown on the device flow's page. */
  createdAt?: string;
  /**
   * Popup flow, browser not bound yet: the opener check (consent_binding.js). Continue
   * stays disabled until the app's page that opened this window has answered.
   */
  openerCheck?: OpenerCheck;
  /** For tests; default `Date.now()`. */
  now?: number;
}

export interface OpenerCheck {
  sessionId: string;
  /** Server-issued, bound to this session and browser. */
  nonce: string;
  /** The app's registered origins: the only ones the nonce is posted to and answers accepted from. */
  origins: string[];
  /** Where the page goes when the check fails. */
  warningUrl: string;
  timeoutMs?: number;
}

/** Who is asking (app), for what (providers, scopes); Continue to the provider, or Cancel. */
export function ConsentPage(props: ConsentPageProps) {
  const next = props.providers.find((p) => p.status !== "connected");
  const continueLabel = next ? `Continue to ${next.displayName}` : "Continue";
  const check = props.openerCheck;
  const now = props.now ?? Date.now();
  return (
    <Layout
      title={`Connect ${props.appName}`}
      script={check ? ASSET_URLS.consentBindingJs : undefined}
    >
      <div class="identity" aria-hidden="true">
        <span class="avatar">{initial(props.appName)}</span>
        <span class="identity-link">
          <span></span>
          <span></span>
          <span></span>
        </span>
        <span class="avatar avatar-securix">
          <ShieldIcon />
        </span>
      </div>
      <div class="centered">
        <h1>
          <strong>{props.appName}</strong> wants access to your {providerNoun(props.providers)}
        </h1>
        {/* The device flow lists the origin among its facts: once is enough. */}
        {props.appOrigin && props.flow !== "device"
          ? <span class="origin">{hostOf(props.appOrigin)}</span>
          : null}
      </div>
      {props.flow === "device"
        ? (
          <>
            <dl class="facts">
              <div>
                <dt>Requested by</dt>
                <dd>{props.appName}</dd>
              </div>
              {props.appOrigin
                ? (
                  <div>
                    <dt>App website</dt>
                    <dd>{hostOf(props.appOrigin)}</dd>
                  </div>
                )
                : null}
              {props.createdAt
                ? (
                  <div>
                    <dt>Started</dt>
                    <dd>
                      <time datetime={props.createdAt}>{startedText(props.createdAt, now)}</time>
                    </dd>
                  </div>
                )
                : null}
            </dl>
            <p class="notice notice-warning" role="note">
              <DeviceIcon />
              {props.viaLink
                ? (
                  <span>
                    {props.appName}{" "}
                    sent you here to connect your account. Only continue if you asked for this
                    yourself, just now; if someone sent you this link, cancel.
                  </span>
                )
                : (
                  <span>
                    This request was started on another device. Only continue if you started it
                    yourself, just now; if someone sent you a code, cancel.
                  </span>
                )}
            </p>
          </>
        )
        : null}
      <ul class="providers">
        {props.providers.map((p) => (
          <ProviderItem key={p.name} provider={p} appName={props.appName} />
        ))}
      </ul>
      <p class="notice">
        <LockIcon />
        <span>
          {props.appName}{" "}
          never sees your password or tokens. Securix keeps them encrypted, and you can revoke
          access at any time.
        </span>
      </p>
      <form
        method="post"
        action={`${props.formAction}/continue`}
        class="actions"
        data-consent-form
      >
        <input type="hidden" name="csrf" value={props.csrfToken} />
        {check ? <input type="hidden" name="nonce" value={check.nonce} /> : null}
        <button
          type="submit"
          class="btn btn-primary"
          data-consent-continue
          disabled={Boolean(check)}
        >
          {continueLabel}
        </button>
        <button
          type="submit"
          class="btn btn-secondary"
          formaction={`${props.formAction}/cancel`}
          formnovalidate
        >
          Cancel
        </button>
      </form>
      {check
        ? (
          <p
            id="securix-binding"
            class="binding-check"
            data-session-id={check.sessionId}
            data-nonce={check.nonce}
            data-origins={JSON.stringify(check.origins)}
            data-warning-url={check.warningUrl}
            data-timeout-ms={check.timeoutMs ? String(check.timeoutMs) : undefined}
            role="status"
          >
            <ShieldIcon />
            <span data-binding-status>Checking that {props.appName} opened this window…</span>
            <noscript>
              This page needs JavaScript to check that {props.appName} opened it.
            </noscript>
          </p>
        )
        : null}
      <p class="fineprint centered">{expiryText(props.expiresAt, now)}</p>
    </Layout>
  );
}

function ProviderItem(props: { provider: ConsentProvider; appName: string }) {
  const p = props.provider;
  const account = p.connectedAccount
    ? (p.status === "connected"
      ? `Signed in as ${p.connectedAccount}`
      : `Currently linked: ${p.connectedAccount}`)
    : "Not connected yet";
  return (
    <li class="provider">
      <div class="provider-head">
        <span class="provider-badge" aria-hidden="true">{initial(p.displayName)}</span>
        <div class="provider-title">
          <div class="provider-name">
            {p.displayName}
            {p.status === "connected"
              ? <span class="pill pill-success">Connected</span>
              : p.status === "failed"
              ? <span class="pill pill-failure">Failed</span>
              : null}
          </div>
          <div class="provider-account">{account}</div>
        </div>
      </div>
      {p.reconnectOnly
        ? (
          <p class="notice notice-warning" role="note" data-reconnect-only>
            <span>
              This link can only reconnect {p.reconnectOnly}. To connect a different {p.displayName}
              {" "}
              account, use {props.appName}'s own settings, not a link.
            </span>
          </p>
        )
        : null}
      {p.staysPaused
        ? (
          <p class="notice" role="note" data-stays-paused>
            <span>
              {props.appName}'s use of this {p.displayName}{" "}
              account is paused. Reconnecting renews its sign-in, but it stays paused:{" "}
              {props.appName}'s agents cannot use it until you resume it on your privacy page for
              {" "}
              {props.appName} (the Securix Trust Portal).
            </span>
          </p>
        )
        : null}
      <p class="scope-intro">
        {p.scopes.length > 0
          ? `${props.appName} will be able to:`
          : `${props.appName} asks for the standard access set up by your administrator.`}
      </p>
      {p.scopes.length > 0
        ? (
          <ul class="scopes">
            {p.scopes.map((s) => (
              <li class="scope">
                <CheckIcon />
                <span class="scope-text">
                  {s.description ? <span class="scope-desc">{s.description}</span> : null}
                  <code class="scope-id">{breakable(s.scope)}</code>
                </span>
              </li>
            ))}
          </ul>
        )
        : null}
    </li>
  );
}

/** Lets long scope URLs wrap after "/" rather than mid-word. */
function breakable(scope: string) {
  return scope.split(/(?<=\/)/).map((part, i) =>
    i === 0 ? part : (
      <>
        <wbr />
        {part}
      </>
    )
  );
}

function providerNoun(providers: ConsentProvider[]): string {
  if (providers.length === 1) return `${providers[0].displayName} account`;
  const names = providers.map((p) => p.displayName);
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)} accounts`;
}

function initial(name: string): string {
  return [...name.trim()][0] ?? "?";
}

/** `app.example.com` for https; the full origin otherwise, so plain http stands out. */
export function hostOf(origin: string): string {
  try {
    const url = new URL(origin);
    return url.protocol === "https:" ? url.host : url.origin;
  } catch {
    return origin;
  }
}

function startedText(createdAt: string, now: number): string {
  const at = new Date(createdAt);
  const clock = `${at.toISOString().slice(11, 16)} UTC`;
  const minutes = Math.floor((now - at.getTime()) / 60_000);
  if (minutes < 1) return `just now (${clock})`;
  return `${minutes} minute${minutes === 1 ? "" : "s"} ago (${clock})`;
}

function expiryText(expiresAt: string, now: number): string {
  const ms = Date.parse(expiresAt) - now;
  if (!(ms > 0)) return "This request has expired. Ask the app to start again.";
  const minutes = Math.ceil(ms / 60_000);
  return `This request expires in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}
