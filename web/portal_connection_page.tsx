import { Layout } from "./layout.tsx";
import { type PortalConnectionView, statusText } from "./portal_home_page.tsx";

/** The calls of one hour by one agent with one operation and decision. */
export interface PortalActivityView {
  /** The newest of them. */
  at: string;
  calls: number;
  agentId: string;
  operation: string;
  decision: string;
}

export interface PortalConnectionProps {
  connection: PortalConnectionView;
  activity: PortalActivityView[];
  /** `?before=` of the next (older) page; null on the last. */
  olderHref: string | null;
  /** "labels" / "folders" when the user can hide some; their names when hidden. */
  hideNoun: string | null;
  hidden: string[];
  csrfToken: string;
  flash?: string | null;
}

/** One connected account: what it allows, pause/resume/revoke, hidden items, who used it. */
export function PortalConnectionPage(props: PortalConnectionProps) {
  const c = props.connection;
  const base = `/portal/connections/${c.id}`;
  return (
    <Layout title={c.providerName}>
      <a class="portal-back" href="/portal">← All accounts</a>
      <h1 class="portal-head">{c.providerName}</h1>
      <p class="lead">{c.account}</p>
      {props.flash ? <p class="notice" role="status">{props.flash}</p> : null}
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>{statusText(c.status)}</dd>
        </div>
        <div>
          <dt>Connected</dt>
          <dd>{c.connectedSince}</dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd>{c.lastUsed ?? "Not used yet"}</dd>
        </div>
      </dl>
      <section class="portal-section" aria-labelledby="scopes-h">
        <h2 id="scopes-h">What you allowed</h2>
        <ul class="portal-scopes">
          {(c.scopes.length > 0 ? c.scopes : ["What you allowed at sign-in"]).map((s) => (
            <li>{s}</li>
          ))}
        </ul>
      </section>
      {c.status !== "revoked"
        ? (
          <div class="portal-actions">
            <form method="post" action={`${base}/${c.status === "paused" ? "resume" : "pause"}`}>
              <input type="hidden" name="csrf" value={props.csrfToken} />
              <button
                type="submit"
                class="btn btn-secondary"
                data-action={c.status === "paused" ? "resume" : "pause"}
              >
                {c.status === "paused" ? "Resume" : "Pause"}
              </button>
            </form>
            <form method="post" action={`${base}/revoke`}>
              <input type="hidden" name="csrf" value={props.csrfToken} />
              <button type="submit" class="btn btn-danger" data-action="revoke">Disconnect</button>
            </form>
          </div>
        )
        : null}
      {props.hideNoun && c.status !== "revoked"
        ? (
          <section class="portal-section" aria-labelledby="hide-h">
            <h2 id="hide-h">Hidden {props.hideNoun}</h2>
            <p class="help">
              {props.hidden.length > 0 ? props.hidden.join(", ") : `No ${props.hideNoun} hidden.`}
            </p>
            <a class="btn btn-secondary btn-small portal-hide-link" href={`${base}/hide`}>
              Choose {props.hideNoun} to hide
            </a>
          </section>
        )
        : null}
      <section class="portal-section" aria-labelledby="activity-h">
        <h2 id="activity-h">Recent activity</h2>
        {props.activity.length === 0
          ? <p class="help">No agent used this account in the last 30 days.</p>
          : (
            <ul
              class="portal-list portal-activity"
              aria-label="Calls agents made, counted per hour, newest first"
            >
              {props.activity.map((a) => (
                <li class="portal-item">
                  <div class="portal-row">
                    <code>{a.operation}</code>
                    <span class={`pill ${decisionPill(a.decision)}`}>{a.decision}</span>
                  </div>
                  <p>
                    {a.agentId} · {a.calls === 1 ? "1 call" : `${a.calls} calls`} · last{" "}
                    <span class="nowrap">{a.at}</span>
                  </p>
                </li>
              ))}
            </ul>
          )}
        <p class="help">
          Calls are counted per hour; only the kind of call is kept here, never its content.
        </p>
        {props.olderHref
          ? <a class="portal-back" href={props.olderHref}>Older activity →</a>
          : null}
      </section>
    </Layout>
  );
}

function decisionPill(decision: string): string {
  if (decision === "allowed") return "pill-success";
  if (decision === "denied") return "pill-failure";
  return "";
}
