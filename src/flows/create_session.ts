import { entityIdSchema } from "../identifiers/identifier.ts";
import { z } from "zod";
import type { App } from "../apps/app_store.ts";
import type { KeyRole } from "../apps/key_role.ts";
import { webOrigin } from "../apps/app_input.ts";
import { recordAuthEvent } from "../audit/auth_event.ts";
import { newId } from "../db/ids.ts";
import { generateDeviceCode, hashDeviceCode, normalizeDeviceCode } from "./device_code.ts";
import { providerErrors } from "../providers/provider_errors.ts";
import { flowErrors } from "./flow_errors.ts";
import type { FlowDeps } from "./flow_deps.ts";
import { insertSession } from "./session_store.ts";
import { reportSession } from "./session_outcomes.ts";
import type { AuthSession, SessionProvider } from "./session_types.ts";
import { SXC_HASH_PATTERN } from "./sxc.ts";

export const createSessionInput = z.strictObject({
  entityId: entityIdSchema,
  flow: z.enum(["popup", "device"]).default("popup"),
  providers: z.record(
    z.string().regex(/^[a-z0-9_-]{1,64}$/),
    z.strictObject({ scopes: z.array(z.string().min(1).max(512)).max(50).optional() }),
  ).refine((p) => Object.keys(p).length >= 1 && Object.keys(p).length <= 10, {
    message: "name between 1 and 10 providers",
  }),
  sxcHash: z.string().regex(SXC_HASH_PATTERN, { message: "expected base64url(sha256(sxc))" })
    .optional(),
  returnUrl: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * The browser origin the popup result goes to (device flow: the origin its consent
   * page names); defaults to the app's first origin.
   */
  origin: webOrigin.optional(),
});

export type CreateSessionInput = z.output<typeof createSessionInput>;

export interface CreatedSession {
  session: AuthSession;
  authUrl: string;
  deviceCode: string | null;
}

export async function createSession(
  deps: FlowDeps,
  app: App,
  input: CreateSessionInput,
  /** Who asked: an agent's consent may only reconnect accounts already connected. */
  startedBy: KeyRole = "backend",
): Promise<CreatedSession> {
  const providers = resolveRequestedProviders(deps, input.providers);
  if (startedBy === "agent") {
    for (const step of Object.values(providers)) step.startedBy = startedBy;
  }
  const target = input.flow === "popup" ? popupTarget(app, input) : deviceOrigin(app, input);
  if (input.returnUrl && !app.origins.includes(new URL(input.returnUrl).origin)) {
    throw flowErrors.originNotAllowed(new URL(input.returnUrl).origin, app.name);
  }
  const deviceCode = input.flow === "device" ? generateDeviceCode(deps.random) : null;
  const now = deps.now();
  const session = await deps.database.transaction(async (tx) => {
    const session = await insertSession(tx, {
      id: newId("ses", deps.random),
      appId: app.id,
      entityId: input.entityId,
      flow: input.flow,
      providers,
      sxcHash: input.sxcHash ?? null,
      targetOrigin: target,
      returnUrl: input.returnUrl ?? null,
      deviceCodeHash: deviceCode ? hashDeviceCode(normalizeDeviceCode(deviceCode)!) : null,
      pollIntervalS: input.flow === "device" ? deps.deviceIntervalS : null,
      createdAt: now,
      expiresAt: now + deps.sessionTtlMs,
    });
    await recordAuthEvent(tx, {
      kind: "session.created",
      appId: app.id,
      entityId: input.entityId,
      data: {
        sessionId: session.id,
        flow: session.flow,
        providers: Object.fromEntries(Object.entries(providers).map(([n, p]) => [n, p.scopes])),
        expiresAt: session.expiresAt,
      },
      webhook: null,
    }, now);
    return session;
  });
  reportSession(deps.database, session.flow, "created");
  const authUrl = input.flow === "device"
    ? `${deps.publicUrl}/device`
    : `${deps.publicUrl}/connect/${session.id}`;
  return { session, authUrl, deviceCode };
}

function popupTarget(app: App, input: CreateSessionInput): string {
  if (!input.sxcHash) {
    throw flowErrors.invalidInput("sxcHash is required for the popup flow");
  }
  if (app.origins.length === 0) {
    throw flowErrors.invalidInput(
      `App "${app.name}" has no registered origin; the popup flow posts its result to one. ` +
        `The operator adds one with "securix apps update ${app.name} --origin https://…"`,
    );
  }
  const origin = input.origin ?? app.origins[0];
  if (!app.origins.includes(origin)) throw flowErrors.originNotAllowed(origin, app.name);
  return origin;
}

/** Shown on the device flow's consent page, so the user can tell which site is asking. */
function deviceOrigin(app: App, input: CreateSessionInput): string | null {
  if (input.origin && !app.origins.includes(input.origin)) {
    throw flowErrors.originNotAllowed(input.origin, app.name);
  }
  return input.origin ?? app.origins[0] ?? null;
}

export function resolveRequestedProviders(
  deps: FlowDeps,
  requested: CreateSessionInput["providers"],
): Record<string, SessionProvider> {
  const out: Record<string, SessionProvider> = {};
  for (const [name, options] of Object.entries(requested)) {
    const provider = deps.providers.enabled.get(name);
    if (!provider) {
      throw deps.providers.known.has(name)
        ? flowErrors.providerDisabled(name)
        : flowErrors.unknownProvider(name);
    }
    const scopes = options.scopes ?? [...provider.defaultScopes];
    const allowed = provider.allowedScopes;
    const refused = allowed ? scopes.filter((s) => !allowed.includes(s)) : [];
    if (refused.length > 0) throw providerErrors.scopeNotAllowed(name, refused);
    out[name] = { scopes: [...new Set(scopes)], status: "pending" };
  }
  return out;
}
