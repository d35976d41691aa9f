import type { App } from "../apps/app_store.ts";
import type { SecurixError } from "../errors/securix_error.ts";
import { handleProxy, type ProxyDeps } from "../proxy/proxy_handler.ts";

/** A Gmail label or Drive folder the user can hide. */
export interface HideableItem {
  /** Gmail: the label's name (what hide rules name); Drive: the folder's id. */
  value: string;
  name: string;
}

export type HideableList =
  | { ok: true; kind: "hide_label" | "hide_folder"; items: HideableItem[] }
  | { ok: false; message: string };

/** Which providers have something to hide, and what it is called. */
export const HIDEABLE: Readonly<
  Record<string, { kind: "hide_label" | "hide_folder"; noun: string }>
> = {
  gmail: { kind: "hide_label", noun: "labels" },
  drive: { kind: "hide_folder", noun: "folders" },
};

const FOLDER_QUERY = "mimeType='application/vnd.google-apps.folder' and trashed=false";

/**
 * The entity's labels or folders, asked of the provider THROUGH the proxy
 * pipeline with the entity's own connection: the operator's rules, pauses,
 * scopes and the audit trail apply as to any agent (recorded `via: portal`).
 */
export async function listHideable(
  proxy: ProxyDeps,
  app: App,
  entityId: string,
  provider: string,
): Promise<HideableList> {
  const hideable = HIDEABLE[provider];
  const route = proxy.routes.get(provider);
  if (!hideable || !route) return { ok: false, message: "Nothing to hide for this account." };
  const path = provider === "gmail" ? "/gmail/v1/users/me/labels" : "/drive/v3/files";
  const search = provider === "gmail"
    ? ""
    : `?${new URLSearchParams({ q: FOLDER_QUERY, fields: "files(id,name)", pageSize: "200" })}`;
  const url = new URL(`http://portal.invalid${path}${search}`);
  let refusal: SecurixError | null = null;
  const response = await handleProxy(
    proxy,
    new Request(url, { headers: { accept: "application/json" } }),
    { route, path, url },
    "portal",
    {
      app,
      agentId: "portal",
      entityId,
      via: "portal",
      tool: `portal.${hideable.noun}`,
      onRefused: (error) => refusal = error,
    },
  );
  if (refusal !== null) {
    await response.body?.cancel();
    return { ok: false, message: (refusal as SecurixError).message };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { ok: false, message: `The provider answered ${response.status}.` };
  }
  const json = await response.json().catch(() => null) as Record<string, unknown> | null;
  if (provider === "gmail") {
    const labels = Array.isArray(json?.labels) ? json.labels as Record<string, unknown>[] : [];
    const items = labels
      .filter((l) => l.type !== "system" && typeof l.name === "string")
      .map((l) => ({ value: l.name as string, name: l.name as string }));
    return { ok: true, kind: hideable.kind, items: sortByName(items) };
  }
  const files = Array.isArray(json?.files) ? json.files as Record<string, unknown>[] : [];
  const items = files
    .filter((f) => typeof f.id === "string" && typeof f.name === "string")
    .map((f) => ({ value: f.id as string, name: f.name as string }));
  return { ok: true, kind: hideable.kind, items: sortByName(items) };
}

function sortByName(items: HideableItem[]): HideableItem[] {
  return items.sort((a, b) => a.name.localeCompare(b.name));
}
