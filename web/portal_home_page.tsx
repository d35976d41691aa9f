import { Layout } from "./layout.tsx";

export interface PortalConnectionView {
  id: string;
  providerName: string;
  account: string;
  status: string;
  scopes: string[];
  connectedSince: string;
  lastUsed: string | null;
}

export interface PortalScopeView {
  name: string;
  description: string | null;
  /** Off for this user (their own switch). */
  off: boolean;
  /** Off for everyone by the operator: the user cannot switch it on. */
  offByOperator: boolean;
}

export interface PortalApprovalView {
  id: string;
  agentId: string;
  summary: string;
  provider: string;
  expiresIn: string;
}

export interface PortalHomeProps {
  appName: string;
  entityId: string;
  connections: PortalConnectionView[];
  scopes: PortalScopeView[];
  approvals: PortalApprovalView[];
  csrfToken: string;
  returnUrl: string | null;
  /** A one-line confirmation of the last change. */
  flash?: string | null;
}

/** What the user sees first: every connected account, their switches, what waits for them. */
export function PortalHomePage(props: PortalHomeProps) {
  return (
    <Layout title="Your connected accounts">
      <h1 class="portal-head">Your connected accounts</h1>
      <p class="lead">
        What <strong>{props.appName}</strong>{" "}
        and its agents can reach for you, and what they did with it.
      </p>
      {props.flash ? <p class="notice" role="status">{props.flash}</p> : null}
      {props.approvals.length > 0
        ? (
          <section class="portal-section" aria-labelledby="approvals-h">
            <h2 id="approvals-h">Waiting for your approval</h2>
            <ul class="portal-list">
              {props.approvals.map((a) => (
                <li class="portal-item" data-approval={a.id}>
                  <strong>{a.agentId}</strong> · {a.provider}
                  <p>{a.summary}</p>
                  <p>{a.expiresIn}</p>
                  <form method="post" action={`/portal/approvals/${a.id}`} class="portal-actions">
                    <input type="hidden" name="csrf" value={props.csrfToken} />
                    <button
                      type="submit"
                      name="decision"
                      value="approve"
                      class="btn btn-primary btn-small"
                    >
                      Approve
                    </button>
                    <button
                      type="submit"
                      name="decision"
                      value="deny"
                      class="btn btn-secondary btn-small"
                    >
                      Deny
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          </section>
        )
        : null}
      <section class="portal-section" aria-labelledby="accounts-h">
        <h2 id="accounts-h">Accounts</h2>
        {props.connections.length === 0
          ? <p class="notice">You have not connected any account to {props.appName}.</p>
          : (
            <ul class="portal-list">
              {props.connections.map((c) => (
                <li class="portal-item" data-connection={c.id}>
                  <div class="portal-row">
                    <a href={`/portal/connections/${c.id}`}>{c.providerName}</a>
                    <span class={`pill ${c.status === "active" ? "pill-success" : "pill-failure"}`}>
                      {statusText(c.status)}
                    </span>
                  </div>
                  <p>{c.account}</p>
                  <p>
                    Can:{" "}
                    {c.scopes.length > 0 ? c.scopes.join(" · ") : "what you allowed at sign-in"}
                  </p>
                  <p>
                    Connected <span class="nowrap">{c.connectedSince}</span> · {c.lastUsed
                      ? (
                        <>
                          last used <span class="nowrap">{c.lastUsed}</span>
                        </>
                      )
                      : "not used yet"}
                  </p>
                </li>
              ))}
            </ul>
          )}
      </section>
      {props.scopes.length > 0
        ? (
          <section class="portal-section" aria-labelledby="scopes-h">
            <h2 id="scopes-h">What agents may do</h2>
            <ul class="portal-list">
              {props.scopes.map((s) => (
                <li class="portal-item" data-scope={s.name}>
                  <div class="portal-row">
                    <strong>{s.description ?? s.name}</strong>
                    {s.offByOperator
                      ? <span class="pill">Off for everyone</span>
                      : (
                        <form method="post" action="/portal/scopes" class="portal-inline">
                          <input type="hidden" name="csrf" value={props.csrfToken} />
                          <input type="hidden" name="scope" value={s.name} />
                          <input type="hidden" name="state" value={s.off ? "on" : "off"} />
                          <button
                            type="submit"
                            class={`btn btn-small ${s.off ? "btn-primary" : "btn-secondary"}`}
                            aria-label={`${s.off ? "Turn on" : "Turn off"}: ${
                              s.description ?? s.name
                            }`}
                          >
                            {s.off ? "Turn on" : "Turn off"}
                          </button>
                        </form>
                      )}
                  </div>
                  <p>{s.off || s.offByOperator ? "Off: agents are refused." : "On"}</p>
                </li>
              ))}
            </ul>
          </section>
        )
        : null}
      <div class="portal-actions">
        {props.returnUrl
          ? <a class="btn btn-secondary" href={props.returnUrl}>Back to {props.appName}</a>
          : null}
        <form method="post" action="/portal/sign-out">
          <input type="hidden" name="csrf" value={props.csrfToken} />
          <button type="submit" class="btn btn-secondary">Sign out</button>
        </form>
      </div>
      <p class="fineprint centered">Signed in as {props.entityId} for {props.appName}.</p>
    </Layout>
  );
}

export function statusText(status: string): string {
  if (status === "active") return "Active";
  if (status === "paused") return "Paused";
  if (status === "revoked") return "Revoked";
  return status.charAt(0).toUpperCase() + status.slice(1);
}
