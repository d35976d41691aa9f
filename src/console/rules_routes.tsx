import { type Context, Hono } from "hono";
import { adminActor } from "../audit/actor.ts";
import { recordAdminEventNow } from "../audit/admin_event.ts";
import { type DryRun, dryRun } from "../cli/rules_dry_run.ts";
import { readConfigFile } from "../config/load.ts";
import { loadRuleSet } from "../rules/rule_book.ts";
import type { RuleIssue } from "../rules/rule_schema.ts";
import {
  mergeRules,
  parseRulesText,
  relabelIssues,
  RULES_FILE,
  rulesFileInForce,
  rulesFilePath,
  writeRulesFile,
} from "../rules/rules_file.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm } from "./console_layout.tsx";
import { consolePage, formField, seeOther } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";
import { DataTable } from "./list_page.tsx";

interface TestInput {
  app: string;
  agent: string;
  entity: string;
  method: string;
  url: string;
  provider: string;
  body: string;
}

const TEMPLATE = `# Rules edited in the console. They apply after the [[rules]] of securix.toml.
# Example:
# [[rules]]
# name = "no_delete"
# target = "gmail.*"
# classes = ["delete"]
# effect = "deny"
`;

/** What the editor shows and what it was told about the last attempt. */
interface EditorState {
  text: string;
  issues: RuleIssue[];
}

/** How many rules securix.toml itself has: the merged list numbers them first. */
async function fileRuleCount(source: string | null): Promise<number> {
  if (!source) return 0;
  try {
    const raw = await readConfigFile(source);
    return Array.isArray(raw.rules) ? raw.rules.length : 0;
  } catch {
    return 0;
  }
}

const EMPTY: TestInput = {
  app: "",
  agent: "agent",
  entity: "user-1",
  method: "GET",
  url: "",
  provider: "",
  body: "",
};

function Outcome(props: { result: DryRun }) {
  const r = props.result;
  const d = r.decision;
  return (
    <section class="card" aria-label="Test result" data-test-result={d.kind}>
      <h2>Result</h2>
      <p
        class={`notice ${d.kind === "allowed" ? "ok" : d.kind === "denied" ? "bad" : "warn"}`}
        role="status"
      >
        {d.kind === "allowed"
          ? "Allowed"
          : d.kind === "denied"
          ? `Denied: ${d.code} — ${d.message}${d.rule ? ` (rule ${d.rule})` : ""}`
          : `Depends on the body: ${d.rules.join(", ")}`}
      </p>
      <dl class="facts">
        <dt>Provider</dt>
        <dd>{`${r.provider} (${r.host})`}</dd>
        <dt>Operation</dt>
        <dd>
          <code>{r.operation.id}</code> ({r.operation.class})
        </dd>
        <dt>Path</dt>
        <dd>
          <code>{`${r.method} ${r.path}${r.query ? `?${r.query}` : ""}`}</code>
        </dd>
        <dt>Rules that apply</dt>
        <dd>{r.matched.join(", ") || "none"}</dd>
        {r.hide
          ? (
            <>
              <dt>Hidden</dt>
              <dd>{[...r.hide.labels, ...r.hide.folders].join(", ")}</dd>
            </>
          )
          : null}
        {r.redact
          ? (
            <>
              <dt>Redacted</dt>
              <dd>{r.redact.kinds.join(", ")}</dd>
            </>
          )
          : null}
      </dl>
    </section>
  );
}

/**
 * `/console/rules`: the rules in force with their source, an editor of
 * rules.toml (validated with the rule schema, written atomically, reloaded),
 * a "test a request" form, reload.
 */
export function rulesRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const page = async (
    c: Context<ConsoleEnv>,
    input: TestInput,
    result: DryRun | null,
    error: string | null,
    notice: { kind: "ok" | "bad"; text: string } | null = null,
    editor: EditorState | null = null,
    status = 200,
  ) => {
    const set = deps.rules();
    const source = deps.config.source;
    const rulesPath = source ? rulesFilePath(source) : null;
    // An install from before rules.d: its rules.toml beside securix.toml is edited, and saved
    // into rules.d, which from then on is the one read.
    const inForce = source ? await rulesFileInForce(source) : null;
    const inFile = await fileRuleCount(source);
    const shown: EditorState = editor ?? { text: inForce?.text ?? TEMPLATE, issues: [] };
    const csrf = c.get("csrf");
    return consolePage(
      c,
      { title: "Rules", active: "rules", notice, status },
      (
        <>
          <section class="card">
            <h2>In force</h2>
            <p class="chart-note">
              {`From ${source ?? "embedded defaults"}${
                rulesPath ? ` and ${RULES_FILE}` : ""
              }; hash `}
              <code data-rules-hash>{set.hash.slice(0, 16)}</code>. Edit securix.toml and reload, or
              edit {RULES_FILE} below.
            </p>
            <DataTable
              rows={set.rules}
              empty="No rules: every call is allowed."
              columns={[
                { label: "Name", cell: (r) => r.name },
                { label: "Effect", cell: (r) => r.effect },
                { label: "Target", cell: (r) => <code>{String(r.config.target)}</code> },
                {
                  label: "Apps / agents / entities",
                  hideNarrow: true,
                  cell: (r) =>
                    [r.apps, r.agents, r.entities].map((s) => s ? [...s].join(",") : "*")
                      .join(" / "),
                },
                {
                  label: "Source",
                  hideNarrow: true,
                  cell: (r) =>
                    r.index < inFile
                      ? `securix.toml #${r.index + 1}`
                      : `${RULES_FILE} #${r.index - inFile + 1}`,
                },
                {
                  label: "State",
                  cell: (r) =>
                    r.enabled ? <span class="badge ok">on</span> : <span class="badge">off</span>,
                },
              ]}
            />
            {set.scopes.length > 0
              ? (
                <p>
                  Scopes:{" "}
                  {set.scopes.map((s) => `${s.name} (${s.enabled ? "on" : "off"})`).join(", ")}
                </p>
              )
              : null}
            <PostForm action="/console/rules/reload" csrf={csrf}>
              <button type="submit" class="secondary">Reload from the config file</button>
            </PostForm>
          </section>
          <section class="card" aria-labelledby="edit-h">
            <h2 id="edit-h">{`Edit ${RULES_FILE}`}</h2>
            {rulesPath
              ? (
                <>
                  <p class="chart-note">
                    {`${rulesPath}: [[rules]] and [scopes.<name>] tables in TOML, added after those of securix.toml. Saving validates them, replaces the file and reloads every serving process; nothing changes if they do not validate.`}
                  </p>
                  {inForce?.legacy
                    ? (
                      <p class="notice" data-rules-legacy>
                        {`The rules below come from ${inForce.path}, where releases before rules.d kept them; saving writes them to ${rulesPath}, which is read instead from then on.`}
                      </p>
                    )
                    : null}
                  {inForce?.shadowed
                    ? (
                      <p class="notice bad" role="alert" data-rules-shadowed>
                        {`${inForce.shadowed} is no longer read (${rulesPath} is): delete it.`}
                      </p>
                    )
                    : null}
                  {shown.issues.length > 0
                    ? (
                      <div class="notice bad" role="alert" data-rule-issues>
                        <p>Not saved; the rules in force stay:</p>
                        <ul>
                          {shown.issues.map((i) => (
                            <li>
                              <code>{i.path}</code>: {i.message}
                            </li>
                          ))}
                        </ul>
                      </div>
                    )
                    : null}
                  <PostForm action="/console/rules/edit" csrf={csrf}>
                    <div class="field">
                      <label for="rules-toml">{RULES_FILE}</label>
                      <textarea
                        id="rules-toml"
                        name="rules"
                        rows={14}
                        spellcheck={false}
                        class="code"
                      >
                        {shown.text}
                      </textarea>
                    </div>
                    <p>
                      <button type="submit">Validate, save and reload</button>
                    </p>
                  </PostForm>
                </>
              )
              : (
                <p class="empty">
                  The appliance runs on embedded defaults (no securix.toml): there is no file to
                  keep edited rules beside. Write one with <code>securix init</code>{" "}
                  and restart serve with it to edit rules here.
                </p>
              )}
          </section>
          <section class="card">
            <h2>Test a request</h2>
            <p class="chart-note">
              What the rules in force decide for one call, without calling the provider.
            </p>
            {error ? <p class="notice bad" role="alert">{error}</p> : null}
            <PostForm action="/console/rules/test" csrf={csrf}>
              <div class="form-row">
                <div class="field">
                  <label for="t-method">Method</label>
                  <select id="t-method" name="method">
                    {["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => (
                      <option selected={m === input.method}>{m}</option>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for="t-url">URL (proxy host or /proxy/&lt;provider&gt;/…)</label>
                  <input id="t-url" name="url" required value={input.url} />
                </div>
                <div class="field">
                  <label for="t-provider">Provider (optional)</label>
                  <input id="t-provider" name="provider" value={input.provider} />
                </div>
              </div>
              <div class="form-row">
                <div class="field">
                  <label for="t-app">App name</label>
                  <input id="t-app" name="app" required value={input.app} />
                </div>
                <div class="field">
                  <label for="t-agent">Agent id</label>
                  <input id="t-agent" name="agent" required value={input.agent} />
                </div>
                <div class="field">
                  <label for="t-entity">Entity id</label>
                  <input id="t-entity" name="entity" required value={input.entity} />
                </div>
              </div>
              <div class="field">
                <label for="t-body">Body (optional, JSON)</label>
                <textarea id="t-body" name="body">{input.body}</textarea>
              </div>
              <p>
                <button type="submit">Test</button>
              </p>
            </PostForm>
          </section>
          {result ? <Outcome result={result} /> : null}
        </>
      ),
    );
  };

  app.get("/console/rules", (c) => page(c, EMPTY, null, null));
  app.post("/console/rules/test", async (c) => {
    const form = await c.req.parseBody();
    const input: TestInput = {
      app: formField(form, "app"),
      agent: formField(form, "agent"),
      entity: formField(form, "entity"),
      method: formField(form, "method") || "GET",
      url: formField(form, "url"),
      provider: formField(form, "provider"),
      body: typeof form.body === "string" ? form.body : "",
    };
    try {
      const body = input.body ? new TextEncoder().encode(input.body) : null;
      const result = dryRun({
        appName: input.app,
        agentId: input.agent,
        entityId: input.entity,
        method: input.method,
        url: input.url,
        provider: input.provider || null,
        body,
        contentType: body ? "application/json" : null,
      }, {
        set: deps.rules(),
        routes: deps.routes,
        baseDomain: deps.config.server.base_domain,
        maxInspectBytes: deps.config.proxy.max_inspect_bytes,
      });
      return page(c, input, result, null);
    } catch (error) {
      if (!(error instanceof SecurixError)) throw error;
      return page(c, input, null, `${error.code}: ${error.message}`);
    }
  });
  app.post("/console/rules/edit", async (c) => {
    const form = await c.req.parseBody();
    const text = typeof form.rules === "string" ? form.rules.replaceAll("\r\n", "\n") : "";
    const source = deps.config.source;
    if (!source) return seeOther("/console/rules");
    const refuse = (issues: RuleIssue[]) => page(c, EMPTY, null, null, null, { text, issues }, 422);
    const parsed = parseRulesText(text);
    if (!parsed.ok) return refuse(parsed.issues);
    let raw: Record<string, unknown>;
    try {
      raw = await readConfigFile(source);
    } catch (error) {
      // securix.toml itself no longer reads: nothing is saved until it does.
      return refuse([{ path: source, message: (error as Error).message }]);
    }
    const merged = mergeRules({ rules: raw.rules, scopes: raw.scopes }, parsed.tables);
    if (!merged.ok) return refuse(merged.issues);
    const loaded = loadRuleSet(merged.tables as Record<string, unknown>);
    if (!loaded.ok) {
      return refuse(relabelIssues(loaded.issues, Array.isArray(raw.rules) ? raw.rules.length : 0));
    }
    const admin = c.get("admin").name;
    const path = rulesFilePath(source);
    try {
      await writeRulesFile(path, text);
    } catch (error) {
      // E.g. a systemd unit (ProtectSystem=strict) whose rules.d was not created.
      return refuse([{
        path,
        message:
          `cannot be written (${
            (error as Error).name
          }); create its directory writable for the appliance (securix service install prints ` +
          "the command; under systemd, restart the service after creating it), or edit " +
          "securix.toml and reload",
      }]);
    }
    // The reload reads both files again and reaches the serving isolates, as `rules reload` does.
    const result = await deps.reloadRules(`admin:${admin}`);
    if (!result.ok) {
      return refuse(result.issues);
    }
    await recordAdminEventNow(deps.database, {
      kind: "admin.rules.edited",
      by: adminActor(admin),
      data: {
        file: RULES_FILE,
        hash: result.set.hash,
        rules: result.set.rules.length,
        scopes: result.set.scopes.length,
      },
    }, deps.now());
    return seeOther("/console/rules?done=rules_saved");
  });
  app.post("/console/rules/reload", async (c) => {
    const result = await deps.reloadRules(`admin:${c.get("admin").name}`);
    if (result.ok) return seeOther("/console/rules?done=reloaded");
    const why = result.issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    return page(c, EMPTY, null, null, {
      kind: "bad",
      text: `Not reloaded; the rules in force stay. ${why}`,
    });
  });
  return app;
}
