import { createRuntime } from "../../src/http/runtime.ts";
import { openTempAppliance, type TempApplianceOptions } from "./temp_appliance.ts";

/** A loopback socket peer, for calling `runtime.handler` in this process. */
export const LOOPBACK_INFO = {
  remoteAddr: { hostname: "127.0.0.1", port: 1, transport: "tcp" },
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

/** A configured gmail provider whose endpoints nothing answers (port 9): its routes exist, nothing is reached. */
export const UNREACHABLE_GMAIL = {
  client_id: "c",
  client_secret: "s",
  authorization_url: "http://127.0.0.1:9/authorize",
  token_url: "http://127.0.0.1:9/token",
  api_base_url: "http://127.0.0.1:9",
};

/**
 * A temp appliance (temp_appliance.ts) and its request handler, without the
 * audit thread; `cleanup` stops the runtime and removes the appliance.
 */
export async function openTempRuntime(options: TempApplianceOptions = {}) {
  const temp = await openTempAppliance(options);
  const runtime = await createRuntime(temp.appliance, { audit: false, log: () => {} });
  return {
    temp,
    runtime,
    cleanup: async () => {
      await runtime.stop();
      await temp.cleanup();
    },
  };
}
