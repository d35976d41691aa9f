import { Hono } from "hono";
import { callbackUrl } from "../flows/flow_deps.ts";
import { summarizeProviders } from "../providers/provider_summary.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { consolePage } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";

/** `/console/providers`: what securix.toml enables, the callback URL, proxy hosts; never secrets. */
export function providersRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get("/console/providers", (c) => {
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
          </section>
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
  });
  return app;
}
