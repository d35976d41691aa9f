import type { Command } from "commander";
import { callbackUrl } from "../flows/flow_deps.ts";
import { summarizeProviders } from "../providers/provider_summary.ts";
import type { CliContext } from "./context.ts";
import { printJson, printTable } from "./io.ts";

/**
 * `securix providers list`: what securix.toml enables, where each provider's
 * API is proxied, and the one callback URL to register at every provider.
 * Reads the config only; it neither contacts providers nor prints secrets.
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
          status: r.enabled ? "enabled" : r.configured ? "disabled" : "available",
          scopes: r.scopes ?? "(any)",
        })),
        ["name", "displayName", "kind", "status", "proxyHosts", "scopes"],
        "No providers",
      );
    });
}
