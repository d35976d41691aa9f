/**
 * The MCP Inspector's CLI mode against a served appliance: it lists the
 * tools of an MCP URL. The Inspector is fetched from the npm registry on
 * first use; when it cannot be fetched or started here, the test is skipped
 * and says why.
 *
 * The command, as the README gives it:
 *   deno run -A npm:@modelcontextprotocol/inspector@2.12.0 --cli "<MCP URL>" \
 *     --transport http --method tools/list
 * (or `npx @modelcontextprotocol/inspector@2.12.0 --cli …` with Node.js ≥ 22.19)
 */
import assert from "node:assert/strict";
import { mcpEnv } from "./helpers/mcp_env.ts";

const INSPECTOR = "npm:@modelcontextprotocol/inspector@2.12.0";

async function inspector(args: string[], home: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", INSPECTOR, "--cli", ...args],
    cwd: home,
    env: { HOME: home, NO_COLOR: "1", MCP_CATALOG_PATH: `${home}/mcp.json` },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(240_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

const probeHome = await Deno.makeTempDir({ prefix: "securix-inspector-" });
const probe = await inspector(["--version"], probeHome).catch((error) => ({
  code: -1,
  stdout: "",
  stderr: String(error),
}));
await Deno.remove(probeHome, { recursive: true }).catch(() => {});
const unavailable = probe.code === 0 ? null : probe.stderr.trim().split("\n").slice(-3).join(" ");
if (unavailable) {
  console.error(`mcp inspector test skipped: ${INSPECTOR} cannot be run here (${unavailable})`);
}

Deno.test({
  name: "mcp: the MCP Inspector CLI lists the tools of an MCP URL",
  ignore: unavailable !== null,
  async fn() {
    const env = await mcpEnv();
    const home = await Deno.makeTempDir({ prefix: "securix-inspector-" });
    try {
      await env.consent("alice", "gmail");
      const { url } = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
      const listed = await inspector(
        [url, "--transport", "http", "--method", "tools/list"],
        home,
      );
      assert.equal(listed.code, 0, listed.stderr);
      const names = [...listed.stdout.matchAll(/"name":\s*"([a-z_]+)"/g)].map((m) => m[1]);
      for (const name of ["gmail_list_messages", "gmail_request", "connect_github"]) {
        assert.ok(names.includes(name), `${name} in ${listed.stdout.slice(0, 2000)}`);
      }
      const grant = url.slice(url.lastIndexOf("/") + 1);
      assert.equal(env.logs.join("\n").includes(grant), false);
    } finally {
      await env.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});
