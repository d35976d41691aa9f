import { type Context, Hono } from "hono";
import { type Probe, type ProviderHealth, providerHealth } from "../providers/provider_health.ts";
import { callbackUrl } from "../flows/flow_deps.ts";
import { summarizeProviders } from "../providers/provider_summary.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm } from "./console_layout.tsx";
import { consolePage } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";

/** Per request of a health check: the page waits for the slowest provider, no longer. */
const HEALTH_TIMEOUT_MS = 3_000;

function ProbeCell(props: { probe: Probe | null; note?: string | null }) {
  const p = props.probe;
  if (!p) return <span class="chart-note">{props.note ?? "—"}</span>;
  return (
    <>
      <span class={`badge ${p.status === "ok" ? "ok" : "bad"}`}>
        {p.status === "ok" ? "answers" : "failing"}
      </span>{" "}
      <span>{`${p.detail} (${p.ms} ms)`}</span>
      <div>
        <code>{p.url}</code>
      </div>
    </>
  );
}

function Health(props: { rows: ProviderHealth[] }) {
  return (
    <section class="card" aria-labelledby="health-h" data-health>
      <h2 id="health-h">Endpoint health</h2>
      {props.rows.length === 0
        ? <p class="empty">No provider is enabled.</p>
        : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Discovery</th>
                  <th scope="col">Token endpoint</th>
                </tr>
              </thead>
              <tbody>
                {props.rows.map((r) => (
                  <tr data-provider={r.provider}>
                    <td>
                      <code>{r.provider}</code>
                    </td>
                    <td>
                      <ProbeCell probe={r.discovery} note="not OIDC" />
                    </td>
                    <td>
                      <ProbeCell probe={r.token} note={r.note} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </section>
  );
}

/**
 * `/console/providers`: what securix.toml enables, the callback URL, proxy
 * hosts, and on demand the health of their discovery and token endpoints;
 * never secrets.
 */
export function providersRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get("/console/providers", (c) => page(c, null));
  // A POST, not a GET: the check makes requests to the outside, only when asked.
  app.post("/console/providers/health", async (c) => {
    const rows = await providerHealth(deps.config.providers, {
      now: deps.now,
      timeoutMs: HEALTH_TIMEOUT_MS,
    });
    return page(c, rows);
  });
  const page = (c: Context<ConsoleEnv>, health: ProviderHealth[] | null) => {
    const { config } = deps;
    const rows = summarizeProviders(config.providers);
    const serving = deps.providers.enabled;
    return consolePage(
      c,
      { title: "Providers", active: "providers" },
      (
        <>
          <section class="card">
            <dl class="facts">
              <dt>OAuth callback URL</dt>
              <dd>
                <code>{callbackUrl(config.server.publicUrl)}</code>
              </dd>
              <dt>Proxy hosts</dt>
              <dd>
                <code>{`<provider>.api.${config.server.base_domain}`}</code> or{" "}
                <code>{`${config.server.publicUrl}/proxy/<provider>/…`}</code>
              </dd>
            </dl>
            <p class="chart-note">
              Providers are configured in securix.toml; secrets are never shown.
            </p>
            <PostForm action="/console/providers/health" csrf={c.get("csrf")}>
              <button type="submit" class="secondary">Check endpoint health</button>
            </PostForm>
          </section>
          {health ? <Health rows={health} /> : null}
          <section class="card">
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Provider</th>
                    <th scope="col">State</th>
                    <th scope="col">Proxy hosts</th>
                    <th scope="col" class="hide-narrow">Scopes allowed</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((p) => (
                    <tr>
                      <td>
                        {p.displayName} <code>{p.name}</code>
                      </td>
                      <td>
                        {serving.has(p.name)
                          ? <span class="badge ok">enabled</span>
                          : p.configured
                          ? <span class="badge warn">configured, off</span>
                          : <span class="badge">available</span>}
                      </td>
                      <td>
                        {p.proxyHosts.map((h) => (
                          <div>
                            <code>{`${h}.api.${config.server.base_domain}`}</code>
                          </div>
                        ))}
                      </td>
                      <td class="hide-narrow">{p.scopes ? p.scopes.join(" ") : "any"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      ),
    );
  };
  return app;
}
