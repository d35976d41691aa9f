import { clearAnomaly } from "../anomalies/clear_anomaly.ts";
import type { Anomaly } from "../anomalies/anomaly_types.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Ends an anomaly block, audited with the acting admin (or key); this
 * process's block set drops it after commit, others at their next refresh.
 */
export function clearAnomalyCommand(
  ctx: CommandContext,
  id: string,
  options: { appId?: string } = {},
): Promise<Anomaly> {
  return clearAnomaly(
    { database: ctx.database, now: ctx.now, onCleared: ctx.after.anomalyCleared },
    id,
    { by: ctx.by, ...options },
  );
}
