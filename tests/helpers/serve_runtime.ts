import type { Appliance } from "../../src/http/appliance.ts";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/http/runtime.ts";
import { startServer } from "../../src/http/serve.ts";

export interface ServedRuntime {
  runtime: Runtime;
  /** Stops the listener, then the runtime (flushing its audit batches). */
  stop(): Promise<void>;
}

/** The appliance served on 127.0.0.1:`port` the way `serve` runs it, minus signal handling. */
export async function serveRuntime(
  appliance: Appliance,
  port: number,
  options: RuntimeOptions = {},
): Promise<ServedRuntime> {
  const runtime = await createRuntime(appliance, { log: () => {}, ...options });
  runtime.start();
  const server = startServer({
    listen: { hostname: "127.0.0.1", port },
    handler: runtime.handler,
    shutdownTimeoutMs: 1_000,
    signals: false,
  });
  return {
    runtime,
    async stop() {
      await server.shutdown();
      await runtime.stop();
    },
  };
}
