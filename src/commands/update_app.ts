import type { App } from "../apps/app_store.ts";
import { updateApp } from "../apps/update_app.ts";
import type { CommandContext } from "./command_context.ts";

/** Renames an app, changes its origins, its credential release or API approval switch, audited; its cached keys carry the app and are dropped. */
export async function updateAppCommand(
  ctx: CommandContext,
  idOrName: string,
  input: {
    name?: string;
    addOrigins?: string[];
    removeOrigins?: string[];
    /** `GET /v1/token` may release this app's users' credentials. */
    credentialRelease?: boolean;
    /** `POST /v1/approvals/{id}` may decide this app's held calls with its key. */
    approvalsViaApi?: boolean;
  },
): Promise<{ app: App; before: App }> {
  const result = await updateApp(ctx.database, idOrName, input, ctx);
  ctx.after.appChanged?.(result.app.id);
  return result;
}
