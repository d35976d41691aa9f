import type { Command } from "commander";
import { SecurixError } from "../errors/securix_error.ts";
import { callbackUrl } from "../flows/flow_deps.ts";
import type { OperationEntry } from "../providers/operation.ts";
import { catalogOperationProviders, operationMapFor } from "../providers/operation_maps.ts";
import type { ProviderConfig } from "../providers/provider_config.ts";
import { summarizeProviders } from "../providers/provider_summary.ts";
import type { CliContext } from "./context.ts";
import { printJson, printTable } from "./io.ts";

/**
 * `securix providers list`: what securix.toml enables, where each provider's
 * API is proxied, and the one callback URL to register at every provider.
 * `securix providers operations NAME`: the provider's operation map, what
 * rules target. Both read the config only; they neither contact providers
 * nor print secrets.
 */
export function registerProviders(program: Command, context: CliContext): void {
  const providers = program.command("providers").description(
    "show the providers this appliance brokers",
  );
  providers.command("list")
    .description(
      "list configured and available providers, their proxy hosts, scope allowlists and the " +
        "OAuth callback URL to register",
    )
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const { config, notes } = await context.config();
      for (const note of notes) context.io.err(note);
      const callback = callbackUrl(config.server.publicUrl);
      const rows = summarizeProviders(config.providers).map((p) => ({
        ...p,
        proxyHosts: p.proxyHosts.map((h) => `${h}.api.${config.server.base_domain}`),
      }));
      if (options.json) return printJson(context.io, { callbackUrl: callback, providers: rows });
      context.io.out(`OAuth callback URL to register at each provider: ${callback}`);
      context.io.out("");
      printTable(
        context.io,
        rows.map((r) => ({
          ...r,
          status: r.enabled ? "enabled" : r.configured ? "disabled" : "not configured",
          scopes: r.scopes ?? "(any)",
        })),
        ["name", "displayName", "kind", "status", "proxyHosts", "scopes"],
        "No providers",
      );
    });
  providers.command("operations")
    .description(
      "list a provider's operations (method, path template, operation id, class): " +
        "what rules target",
    )
    .argument("<name>", "a catalog provider (gmail, github, …) or a custom one in securix.toml")
    .option("--json", "print JSON")
    .action(async (name: string, options: { json?: boolean }) => {
      const { config, notes } = await context.config();
      for (const note of notes) context.io.err(note);
      const entries = operationsOf(name, config.providers);
      const unknown = `${name}.unknown`;
      if (options.json) {
        return printJson(context.io, {
          provider: name,
          operations: entries,
          unmatched: { id: unknown, class: "by method: GET/HEAD read, DELETE delete, else write" },
        });
      }
      printTable(
        context.io,
        entries.map((e) => ({ ...e, multiplexed: e.multiplexed ? "yes" : "" })),
        ["method", "path", "id", "class", "multiplexed"],
        "No operations declared",
      );
      context.io.out("");
      for (const line of footnotes(name)) context.io.out(line);
      context.io.out(
        `Calls matching no entry: ${unknown}, classed by method (GET/HEAD read, DELETE delete, ` +
          "else write).",
      );
    });
}

/** A catalog provider's built-in map, or a configured custom provider's declared operations. */
function operationsOf(
  name: string,
  configs: Readonly<Record<string, ProviderConfig>>,
): readonly OperationEntry[] {
  const catalog = catalogOperationProviders();
  if (catalog.includes(name)) return operationMapFor(name).entries;
  const config = configs[name];
  if (config?.kind === "oidc" || config?.kind === "oauth2") {
    if (!config.enabled) {
      throw new SecurixError(
        "SX-PROVIDER-DISABLED",
        `Provider "${name}" is disabled in securix.toml; enable it to list its operations`,
        { status: 400 },
      );
    }
    return operationMapFor(name, config.operations).entries;
  }
  const custom = Object.values(configs).filter((c) => c.kind !== "catalog").map((c) => c.name);
  throw new SecurixError(
    "SX-UNKNOWN-PROVIDER",
    `Unknown provider "${name}"; the catalog has ${catalog.join(", ")}` +
      (custom.length > 0 ? `; securix.toml adds ${custom.join(", ")}` : ""),
    { status: 400 },
  );
}

/** What a table of paths cannot say about how a provider's calls are resolved. */
function footnotes(name: string): string[] {
  switch (name) {
    case "slack":
      return [
        "Slack takes every method by GET or POST. Methods not listed are slack.<method>, " +
        "classed by the verb their last part starts with.",
      ];
    case "linear":
    case "github":
      return [
        `${name === "linear" ? "POST /graphql" : "GitHub's POST /graphql"} is resolved from the ` +
        `document: ${name === "linear" ? "linear" : "github.graphql"}.<query|mutation>.<field>; ` +
        "several top-level fields or an unreadable body are multiplexed.",
      ];
    case "dropbox":
      return ["One map for both hosts: dropbox (RPC) and dropbox-content (upload, download)."];
    default:
      return [];
  }
}
