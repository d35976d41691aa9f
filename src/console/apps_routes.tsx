import { Hono } from "hono";
import { listAgents } from "../agents/agent_store.ts";
import { CONNECTION_FATES, type ConnectionFate } from "../apps/app_input.ts";
import { type App, listApps, requireApp } from "../apps/app_store.ts";
import { type ApiKeyRecord, listApiKeys } from "../apps/key_store.ts";
import { KEY_ROLES, keyRoleSchema } from "../apps/key_role.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { adminActor } from "../audit/actor.ts";
import { addAgentCommand } from "../commands/add_agent.ts";
import { createAppCommand } from "../commands/create_app.ts";
import { createKeyCommand } from "../commands/create_key.ts";
import { deleteAppCommand } from "../commands/delete_app.ts";
import { removeAgentCommand } from "../commands/remove_agent.ts";
import { revokeKeyCommand } from "../commands/revoke_key.ts";
import { revokeMcpUrlCommand } from "../commands/revoke_mcp_url.ts";
import { updateAppCommand } from "../commands/update_app.ts";
import { releaseDecision } from "../gateway/release_rules.ts";
import { listGrants } from "../mcp/mcp_grant_store.ts";
import { familyOf } from "../proxy/proxy_route.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm, when } from "./console_layout.tsx";
import { consolePage, formField, seeOther } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";
import { DataTable } from "./list_page.tsx";
import type { Context } from "hono";

/**
 * The enabled providers whose credential release the current rules refuse
 * for any user of the app (rules limited to some users are left out: they
 * refuse only theirs), with what refuses it.
 */
function refusedReleases(deps: ConsoleDeps, appName: string): { provider: string; by: string }[] {
  const set = deps.rules();
  const refused: { provider: string; by: string }[] = [];
  for (const provider of [...deps.providers.enabled.keys()].sort()) {
    const family = familyOf(deps.routes, provider);
    const { refusal } = releaseDecision(set, {
      appName,
      agentId: null,
      entityId: "",
      provider,
      family,
      connectionId: "{id}",
    }, null);
    if (refusal === null) continue;
    refused.push({
      provider,
      by: refusal.kind === "scope"
        ? `scope "${refusal.scope}" disabled`
        : `rule "${refusal.rule}", ${refusal.effect}`,
    });
  }
  return refused;
}

function lines(value: string): string[] {
  return value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

/** `/console/apps`: apps, their origins, keys and agents, through the same commands as the CLI. */
export function appsRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const db = deps.database.db;
  const ctx = (c: Context<ConsoleEnv>) => deps.commands(adminActor(c.get("admin").name));

  app.get("/console/apps", async (c) => {
    const rows = await listApps(db);
    return consolePage(
      c,
      { title: "Apps", active: "apps" },
      (
        <>
          <section class="card">
            <DataTable
              rows={rows}
              empty="No apps yet; create the first one below."
              columns={[
                { label: "Name", cell: (a) => <a href={`/console/apps/${a.id}`}>{a.name}</a> },
                { label: "Id", cell: (a) => <code>{a.id}</code> },
                { label: "Origins", cell: (a) => a.origins.join(", ") || "—" },
                { label: "Created", hideNarrow: true, cell: (a) => when(a.createdAt) },
              ]}
            />
          </section>
          <section class="card">
            <h2>Create an app</h2>
            <PostForm action="/console/apps" csrf={c.get("csrf")}>
              <div class="form-row">
                <div class="field">
                  <label for="app-name">Name</label>
                  <input id="app-name" name="name" required pattern="[A-Za-z0-9_\-]{1,63}" />
                </div>
                <div class="field">
                  <label for="app-origins">Web origins (space or comma separated)</label>
                  <input id="app-origins" name="origins" placeholder="https://app.example.com" />
                </div>
                <button type="submit">Create app and key</button>
              </div>
            </PostForm>
          </section>
        </>
      ),
    );
  });

  app.post("/console/apps", async (c) => {
    const form = await c.req.parseBody();
    const { app: created, record, secret } = await createAppCommand(ctx(c), {
      name: formField(form, "name"),
      origins: lines(formField(form, "origins")),
    });
    return await detail(c, created.id, { record, secret }, 201);
  });

  const detail = async (
    c: Context<ConsoleEnv>,
    ref: string,
    shown: { record: ApiKeyRecord; secret: string } | null = null,
    status = 200,
  ) => {
    const a: App = await requireApp(db, ref);
    const keys = await listApiKeys(db, a.id);
    const agents = await listAgents(db, a.id);
    const grants = await listGrants(db, a.id);
    const now = deps.now();
    const csrf = c.get("csrf");
    const base = `/console/apps/${a.id}`;
    const releaseRefused = a.credentialRelease ? refusedReleases(deps, a.name) : [];
    return consolePage(
      c,
      {
        title: a.name,
        active: "apps",
        status,
        notice: shown
          ? { kind: "warn", text: "Copy the new API key now: it is shown only once." }
          : null,
      },
      (
        <>
          {shown
            ? (
              <section class="card" aria-label="New API key">
                <h2>
                  {`API key ${shown.record.id} (${shown.record.role}${
                    shown.record.agentId === null ? "" : ` for ${shown.record.agentId}`
                  })`}
                </h2>
                <code class="secret" data-api-key>{shown.secret}</code>
              </section>
            )
            : null}
          <section class="card">
            <h2>Settings</h2>
            <dl class="facts">
              <dt>Id</dt>
              <dd>
                <code>{a.id}</code>
              </dd>
              <dt>Created</dt>
              <dd>{when(a.createdAt)}</dd>
              <dt>Webhooks</dt>
              <dd>
                <a href={`/console/webhooks?app=${a.id}`}>Endpoints and deliveries</a>
              </dd>
              <dt>Connections</dt>
              <dd>
                <a href={`/console/connections?app=${a.id}`}>This app's connections</a>
              </dd>
            </dl>
            <h2>Origins</h2>
            {a.origins.length === 0
              ? <p class="empty">None: the popup flow needs at least one.</p>
              : (
                <ul>
                  {a.origins.map((o) => (
                    <li>
                      <code>{o}</code>{" "}
                      <PostForm action={`${base}/origins/remove`} csrf={csrf} class="inline">
                        <input type="hidden" name="origin" value={o} />
                        <button type="submit" class="danger small" aria-label={`Remove ${o}`}>
                          Remove
                        </button>
                      </PostForm>
                    </li>
                  ))}
                </ul>
              )}
            <PostForm action={`${base}/origins`} csrf={csrf}>
              <div class="form-row">
                <div class="field">
                  <label for="origin">Allow an origin</label>
                  <input id="origin" name="origin" required placeholder="https://app.example.com" />
                </div>
                <button type="submit" class="secondary">Add origin</button>
              </div>
            </PostForm>
          </section>
          <section class="card">
            <h2>API keys</h2>
            <DataTable
              rows={keys}
              columns={[
                { label: "Id", cell: (k) => <code>{k.id}</code> },
                { label: "Key", cell: (k) => <code>{k.hint}</code> },
                {
                  label: "Role",
                  cell: (k) =>
                    k.role === "agent"
                      ? <span class="badge" data-key-role="agent">agent</span>
                      : <span class="badge" data-key-role="backend">backend</span>,
                },
                { label: "Agent", cell: keyAgentCell },
                { label: "Last used", hideNarrow: true, cell: (k) => when(k.lastUsedAt) },
                {
                  label: "State",
                  cell: (k) =>
                    k.revokedAt
                      ? <span class="badge bad">revoked</span>
                      : <span class="badge ok">live</span>,
                },
                {
                  label: "Actions",
                  hiddenLabel: true,
                  cell: (k) =>
                    k.revokedAt
                      ? null
                      : (
                        <PostForm action={`${base}/keys/${k.id}/revoke`} csrf={csrf}>
                          <button type="submit" class="danger small">Revoke</button>
                        </PostForm>
                      ),
                },
              ]}
            />
            <p>
              A <strong>backend</strong>{" "}
              key is for the app's server: every /v1 call and the proxy. Hand agents an{" "}
              <strong>agent</strong>{" "}
              key: it calls provider APIs through the proxy and reads held approvals, and every
              other /v1 call answers SX-KEY-ROLE, so an agent cannot open the Trust Portal, mint MCP
              URLs, clear anomaly blocks or decide its own held calls. Bind each agent key to its
              agent: its calls may then only name that agent in securix-agent-id (or leave it out),
              and another agent's id answers SX-AGENT-MISMATCH. An agent key bound to no agent can
              name any of the app's agents.
            </p>
            <PostForm action={`${base}/keys`} csrf={csrf}>
              <div class="form-row">
                <div class="field">
                  <label for="key-role">Role</label>
                  <select id="key-role" name="role">
                    {KEY_ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                  </select>
                </div>
                <div class="field">
                  <label for="key-agent">Agent (agent keys)</label>
                  <select id="key-agent" name="agentId">
                    <option value="">any agent</option>
                    {agents.map((g) => (
                      <option key={g.agentId} value={g.agentId}>{g.agentId}</option>
                    ))}
                  </select>
                </div>
                <button type="submit" class="secondary">Create a key</button>
              </div>
            </PostForm>
          </section>
          <section class="card">
            <h2>Agents</h2>
            {agents.length === 0
              ? <p class="empty">No agents: every request with a securix-agent-id is refused.</p>
              : (
                <DataTable
                  rows={agents}
                  columns={[
                    { label: "Agent id", cell: (g) => <code>{g.agentId}</code> },
                    { label: "Name", cell: (g) => g.name ?? "—" },
                    { label: "Added", hideNarrow: true, cell: (g) => when(g.createdAt) },
                    {
                      label: "Actions",
                      hiddenLabel: true,
                      cell: (g) => (
                        <PostForm action={`${base}/agents/remove`} csrf={csrf}>
                          <input type="hidden" name="agentId" value={g.agentId} />
                          <button type="submit" class="danger small">Remove</button>
                        </PostForm>
                      ),
                    },
                  ]}
                />
              )}
            <PostForm action={`${base}/agents`} csrf={csrf}>
              <div class="form-row">
                <div class="field">
                  <label for="agent-id">Agent id</label>
                  <input id="agent-id" name="agentId" required />
                </div>
                <div class="field">
                  <label for="agent-name">Name (optional)</label>
                  <input id="agent-name" name="name" />
                </div>
                <button type="submit" class="secondary">Register agent</button>
              </div>
            </PostForm>
          </section>
          <section class="card" aria-labelledby="release-h">
            <h2 id="release-h">Credential release</h2>
            <p>
              {a.credentialRelease
                ? <span class="badge warn" data-release="on">on</span>
                : <span class="badge ok" data-release="off">off</span>}{" "}
              {a.credentialRelease
                ? "GET /v1/token/{id} releases this app's users' credentials (an access token, never a refresh token; or form credentials), each release audited; calls made with them do not go through the proxy's rules."
                : "GET /v1/token/{id} answers SX-RELEASE-DISABLED: this app's agents reach providers only through the proxy, under the rules."}
            </p>
            {releaseRefused.length > 0 && (
              <p data-release-refused={releaseRefused.map((r) => r.provider).join(" ")}>
                The current rules refuse the release for every user of:{" "}
                {releaseRefused.map((r, i) => (
                  <>
                    {i > 0 && ", "}
                    <code>{r.provider}</code> ({r.by})
                  </>
                ))}. Rules limited to some users, and users' Trust Portal choices, can refuse more.
              </p>
            )}
            <PostForm action={`${base}/credential-release`} csrf={csrf}>
              <input type="hidden" name="release" value={a.credentialRelease ? "off" : "on"} />
              <button type="submit" class={a.credentialRelease ? "secondary" : "danger"}>
                {a.credentialRelease ? "Turn credential release off" : "Turn credential release on"}
              </button>
            </PostForm>
          </section>
          <section class="card" aria-labelledby="api-approvals-h">
            <h2 id="api-approvals-h">Approvals through the API</h2>
            <p>
              {a.approvalsViaApi
                ? <span class="badge warn" data-api-approvals="on">on</span>
                : <span class="badge ok" data-api-approvals="off">off</span>}{" "}
              {a.approvalsViaApi
                ? "POST /v1/approvals/{id} lets this app's backend keys approve or deny its held calls (never from the agent id that made the call); agent keys are always refused (SX-KEY-ROLE). Give agents agent keys only: an agent holding a backend key could approve its own calls by leaving out its agent id."
                : "POST /v1/approvals/{id} answers SX-APPROVAL-API-DISABLED: held calls are decided through the signed links, this console, the Trust Portal or the CLI, never with the key the agent holds."}
            </p>
            <PostForm action={`${base}/api-approvals`} csrf={csrf}>
              <input
                type="hidden"
                name="approvals"
                value={a.approvalsViaApi ? "off" : "on"}
              />
              <button type="submit" class={a.approvalsViaApi ? "secondary" : "danger"}>
                {a.approvalsViaApi ? "Turn API approvals off" : "Turn API approvals on"}
              </button>
            </PostForm>
          </section>
          <section class="card">
            <h2>MCP URLs</h2>
            {grants.length === 0
              ? <p class="empty">No MCP URLs: the app creates them with POST /v1/mcp/urls.</p>
              : (
                <DataTable
                  rows={grants}
                  columns={[
                    { label: "Id", cell: (g) => <code>{g.id}</code> },
                    { label: "Entity / agent", cell: (g) => `${g.entityId} / ${g.agentId}` },
                    {
                      label: "Providers",
                      hideNarrow: true,
                      cell: (g) => g.providers?.join(", ") ?? "all",
                    },
                    { label: "Expires", hideNarrow: true, cell: (g) => when(g.expiresAt) },
                    {
                      label: "State",
                      cell: (g) =>
                        g.revokedAt
                          ? <span class="badge bad">revoked</span>
                          : g.expiresAt <= now
                          ? <span class="badge">expired</span>
                          : <span class="badge ok">live</span>,
                    },
                    {
                      label: "Actions",
                      hiddenLabel: true,
                      cell: (g) =>
                        g.revokedAt || g.expiresAt <= now
                          ? null
                          : (
                            <PostForm action={`${base}/mcp/${g.id}/revoke`} csrf={csrf}>
                              <button
                                type="submit"
                                class="danger small"
                                aria-label={`Revoke MCP URL ${g.id}`}
                              >
                                Revoke
                              </button>
                            </PostForm>
                          ),
                    },
                  ]}
                />
              )}
          </section>
          <section class="card">
            <h2>Delete this app</h2>
            <p>
              Revokes its keys, removes its agents and webhooks, and revokes or keeps its users'
              connections.
            </p>
            <PostForm action={`${base}/delete`} csrf={csrf}>
              <div class="form-row">
                <div class="field">
                  <label for="fate">Connections</label>
                  <select id="fate" name="connections">
                    {CONNECTION_FATES.map((f) => <option key={f} value={f}>{f}</option>)}
                  </select>
                </div>
                <div class="field">
                  <label for="confirm">Type the app's name to confirm</label>
                  <input id="confirm" name="confirm" required />
                </div>
                <button type="submit" class="danger">Delete app</button>
              </div>
            </PostForm>
          </section>
        </>
      ),
    );
  };

  app.get("/console/apps/:id", (c) => detail(c, c.req.param("id")));
  app.post("/console/apps/:id/origins", async (c) => {
    const form = await c.req.parseBody();
    const { app: a } = await updateAppCommand(ctx(c), c.req.param("id"), {
      addOrigins: [formField(form, "origin")],
    });
    return seeOther(`/console/apps/${a.id}?done=app_updated`);
  });
  app.post("/console/apps/:id/origins/remove", async (c) => {
    const form = await c.req.parseBody();
    const { app: a } = await updateAppCommand(ctx(c), c.req.param("id"), {
      removeOrigins: [formField(form, "origin")],
    });
    return seeOther(`/console/apps/${a.id}?done=app_updated`);
  });
  app.post("/console/apps/:id/keys", async (c) => {
    const a = await requireApp(db, c.req.param("id"));
    const form = await c.req.parseBody();
    const agentId = formField(form, "agentId") || null;
    // A form without a role (an older page) makes a backend key, as before roles; one that
    // names an agent, an agent key bound to it.
    const role = keyRoleSchema.safeParse(
      formField(form, "role") || (agentId ? "agent" : "backend"),
    );
    if (!role.success) {
      throw new SecurixError("SX-INVALID-INPUT", role.error.issues[0].message, { status: 400 });
    }
    const created = await createKeyCommand(ctx(c), a.id, { role: role.data, agentId });
    return await detail(c, a.id, created, 201);
  });
  app.post("/console/apps/:id/keys/:keyId/revoke", async (c) => {
    const a = await requireApp(db, c.req.param("id"));
    const keys = await listApiKeys(db, a.id);
    // Only this app's keys: the URL names both.
    const key = keys.find((k) => k.id === c.req.param("keyId"));
    if (key) await revokeKeyCommand(ctx(c), key.id);
    return seeOther(`/console/apps/${a.id}?done=key_revoked`);
  });
  app.post("/console/apps/:id/agents", async (c) => {
    const a = await requireApp(db, c.req.param("id"));
    const form = await c.req.parseBody();
    const name = formField(form, "name");
    await addAgentCommand(ctx(c), a.id, {
      agentId: formField(form, "agentId"),
      ...(name ? { name } : {}),
    });
    return seeOther(`/console/apps/${a.id}?done=agent_added`);
  });
  app.post("/console/apps/:id/agents/remove", async (c) => {
    const a = await requireApp(db, c.req.param("id"));
    const form = await c.req.parseBody();
    await removeAgentCommand(ctx(c), a.id, formField(form, "agentId"));
    return seeOther(`/console/apps/${a.id}?done=agent_removed`);
  });
  app.post("/console/apps/:id/credential-release", async (c) => {
    const form = await c.req.parseBody();
    const on = formField(form, "release") === "on";
    const { app: a } = await updateAppCommand(ctx(c), c.req.param("id"), {
      credentialRelease: on,
    });
    return seeOther(`/console/apps/${a.id}?done=${on ? "release_on" : "release_off"}`);
  });
  app.post("/console/apps/:id/api-approvals", async (c) => {
    const form = await c.req.parseBody();
    const on = formField(form, "approvals") === "on";
    const { app: a } = await updateAppCommand(ctx(c), c.req.param("id"), {
      approvalsViaApi: on,
    });
    return seeOther(`/console/apps/${a.id}?done=${on ? "api_approvals_on" : "api_approvals_off"}`);
  });
  app.post("/console/apps/:id/mcp/:grantId/revoke", async (c) => {
    const a = await requireApp(db, c.req.param("id"));
    // Only this app's URLs: another app's id is not found.
    await revokeMcpUrlCommand(ctx(c), c.req.param("grantId"), { appId: a.id });
    return seeOther(`/console/apps/${a.id}?done=mcp_revoked`);
  });
  app.post("/console/apps/:id/delete", async (c) => {
    const a = await requireApp(db, c.req.param("id"));
    const form = await c.req.parseBody();
    if (formField(form, "confirm") !== a.name) {
      return seeOther(`/console/apps/${a.id}`);
    }
    const fate = formField(form, "connections") as ConnectionFate;
    await deleteAppCommand(ctx(c), deps.providers, a.id, {
      connections: CONNECTION_FATES.includes(fate) ? fate : "revoke",
    });
    return seeOther("/console/apps?done=app_deleted");
  });
  return app;
}

/** Whom a key acts for: a backend key any agent; an agent key its agent, or any (a hint to bind it). */
function keyAgentCell(k: ApiKeyRecord) {
  if (k.agentId !== null) return <code data-key-agent={k.agentId}>{k.agentId}</code>;
  if (k.role === "backend") return <span class="badge">any</span>;
  return <span class="badge warn" data-key-agent="" title="Bind agent keys to one agent">any</span>;
}
