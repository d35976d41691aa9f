import { type Context, Hono } from "hono";
import { type ProviderHealth, providerHealth } from "../providers/provider_health.ts";
import type { Probe } from "../providers/provider_reachability.ts";
import { callbackUrl } from "../flows/flow_deps.ts";
import { summarizeProviders } from "../providers/provider_summary.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm } from "./console_layout.tsx";
import { consolePage } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";
import { DataTable } from "./list_page.tsx";

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
      {props.rows.length === 0 ? <p class="empty">No provider is enabled.</p> : (
        <DataTable
          rows={props.rows}
          rowAttributes={(r) => ({ "data-provider": r.provider })}
          columns={[
            { label: "Provider", cell: (r) => <code>{r.provider}</code> },
            {
              label: "Discovery",
              cell: (r) => <ProbeCell probe={r.discovery} note="not OIDC" />,
            },
            { label: "Token endpoint", cell: (r) => <ProbeCell probe={r.token} note={r.note} /> },
          ]}
        />
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
            <DataTable
              rows={rows}
              columns={[
                {
                  label: "Provider",
                  cell: (p) => (
                    <>
                      {p.displayName} <code>{p.name}</code>
                    </>
                  ),
                },
                {
                  label: "State",
                  cell: (p) =>
                    serving.has(p.name)
                      ? <span class="badge ok">enabled</span>
                      : p.configured
                      ? <span class="badge warn">configured, off</span>
                      : <span class="badge">available</span>,
                },
                {
                  label: "Proxy hosts",
                  cell: (p) =>
                    p.proxyHosts.map((h) => (
                      <div>
                        <code>{`${h}.api.${config.server.base_domain}`}</code>
                      </div>
                    )),
                },
                {
                  label: "Scopes allowed",
                  hideNarrow: true,
                  cell: (p) => p.scopes ? p.scopes.join(" ") : "any",
                },
              ]}
            />
          </section>
        </>
      ),
    );
  };
  return app;
}
