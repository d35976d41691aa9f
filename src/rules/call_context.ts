import type { Exchange } from "../proxy/exchange.ts";
import type { CallContext } from "./evaluate.ts";

/** What the evaluator needs of a call, read off its Exchange. */
export function callContext(ex: Exchange): CallContext {
  return {
    appName: ex.caller.app.name,
    agentId: ex.caller.agentId,
    entityId: ex.caller.entityId,
    provider: ex.route.provider,
    family: ex.route.family ?? ex.route.provider,
    operation: ex.operation,
    method: ex.method,
    path: ex.path,
  };
}
