/**
 * `deno run --allow-all tests/bench/served_appliance.ts <dir> <port>`: the
 * appliance whose securix.toml is in `dir`, served on 127.0.0.1:`port` the
 * way proxy_bench.ts serves it in its own process (serveRuntime: one
 * isolate, audit on), in a process of its own, so scaling_bench.ts can set it
 * beside `securix serve` on the same upstream and read its threads' CPU.
 */
import { loadConfig } from "../../src/config/load.ts";
import { openAppliance } from "../../src/http/appliance.ts";
import { serveRuntime } from "../helpers/serve_runtime.ts";

const [dir, port] = Deno.args;
const { config } = await loadConfig({ path: `${dir}/securix.toml`, cwd: dir, envNames: () => [] });
const appliance = await openAppliance(config, { migrate: false });
const served = await serveRuntime(appliance, Number(port), { audit: true });
Deno.addSignalListener("SIGTERM", async () => {
  await served.stop();
  appliance.close();
  Deno.exit(0);
});
