import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { z } from "zod";
import type { App } from "../apps/app_store.ts";
import type { KeyRole } from "../apps/key_role.ts";
import { recordAuthEvent } from "../audit/auth_event.ts";
import { currentConnection, insertConnection } from "../connections/connection_store.ts";
import { newId } from "../db/ids.ts";
import { resolveRequestedProviders } from "../flows/create_session.ts";
import { flowErrors } from "../flows/flow_errors.ts";
import type { FlowDeps } from "../flows/flow_deps.ts";
import { insertSession } from "../flows/session_store.ts";
import { reportSession } from "../flows/session_outcomes.ts";
import { entityIdSchema } from "../identifiers/identifier.ts";
import { insertGatewayRequest } from "./gateway_store.ts";
import { hashLinkToken, newLinkToken } from "./gateway_link.ts";
import type { ProviderDirectory } from "./provider_directory.ts";

/** The app's metadata is kept as it came, but bounded: it is not a storage service. */
const MAX_METADATA_BYTES = 4096;

/** Nexus's request body, as its guide documents it. */
export const requestConnectionInput = z.strictObject({
  user_id: entityIdSchema,
  provider_name: z.string().min(1).max(64),
  scopes: z.array(z.string().min(1).max(512)).max(50).optional(),
  return_url: z.url({ protocol: /^https?$/ }),
  metadata: z.record(z.string(), z.unknown()).optional().refine(
    (m) =>
      m === undefined || new TextEncoder().encode(JSON.stringify(m)).length <= MAX_METADATA_BYTES,
    { message: `at most ${MAX_METADATA_BYTES} bytes of JSON` },
  ),
});

export type RequestConnectionInput = z.output<typeof requestConnectionInput>;

export interface RequestedConnection {
  authUrl: string;
  connection_id: string;
  state: string;
  scopes: string[];
  provider_id: string;
  expires_at: string;
}

/**
 * Starts a consent for one provider and promises the app a connection id
 * before the user has consented: the entity's current connection to that
 * provider, or a new one in `pending` (which the proxy refuses until the
 * consent activates it, in place, under the same id).
 *
 * There is no opener page to prove itself with an sxc here: the app sends
 * its user to `authUrl` any way it likes. So `authUrl` carries a 256-bit,
 * single-use link token (stored as a digest) that the first browser to open
 * it claims, binding the consent to that browser's cookie, as a device code
 * does; it dies with the session. The result goes only to `return_url`, one
 * of the app's registered origins, with `state` so the app can match it.
 */
export async function requestConnection(
  deps: FlowDeps,
  directory: ProviderDirectory,
  app: App,
  input: RequestConnectionInput,
  startedBy: KeyRole,
): Promise<RequestedConnection> {
  const returnOrigin = new URL(input.return_url).origin;
  if (!app.origins.includes(returnOrigin)) {
    throw flowErrors.originNotAllowed(returnOrigin, app.name);
  }
  const provider = directory.resolve(input.provider_name);
  const requested = resolveRequestedProviders(deps, {
    [provider]: input.scopes ? { scopes: input.scopes } : {},
  });
  // Kept with the step: the consent ends long after this key's request, and it decides
  // whether the consent may put another account behind an existing connection.
  const providers = { [provider]: { ...requested[provider], startedBy } };
  const random = deps.random ?? ((b: Uint8Array) => crypto.getRandomValues(b));
  const link = newLinkToken(random);
  const state = encodeBase64urlNoPadding(random(new Uint8Array(24)));
  const now = deps.now();
  const { session, connectionId } = await deps.database.transaction(async (tx) => {
    const session = await insertSession(tx, {
      id: newId("ses", deps.random),
      appId: app.id,
      entityId: input.user_id,
      // Finished like a device session (no sxc reveal), entered by the link, not a typed code.
      flow: "device",
      providers,
      sxcHash: null,
      targetOrigin: returnOrigin,
      returnUrl: input.return_url,
      deviceCodeHash: null,
      pollIntervalS: null,
      createdAt: now,
      expiresAt: now + deps.sessionTtlMs,
    });
    const current = await currentConnection(tx, app.id, input.user_id, provider);
    const connectionId = current?.id ?? newId("con", deps.random);
    if (!current) {
      await insertConnection(tx, {
        id: connectionId,
        appId: app.id,
        entityId: input.user_id,
        provider,
        status: "pending",
        scopes: providers[provider].scopes,
        account: null,
        credentialId: null,
        credentialExpiresAt: null,
        sessionId: session.id,
        version: 1,
        createdAt: now,
        updatedAt: now,
      });
    }
    await insertGatewayRequest(tx, {
      sessionId: session.id,
      appId: app.id,
      connectionId,
      provider,
      returnUrl: input.return_url,
      metadata: input.metadata === undefined ? null : JSON.stringify(input.metadata),
      state,
      linkHash: hashLinkToken(link),
      linkUsedAt: null,
      createdAt: now,
    });
    await recordAuthEvent(tx, {
      kind: "session.created",
      appId: app.id,
      entityId: input.user_id,
      provider,
      data: {
        sessionId: session.id,
        flow: "gateway",
        startedBy,
        connectionId,
        providers: { [provider]: providers[provider].scopes },
        expiresAt: session.expiresAt,
      },
      webhook: null,
    }, now);
    return { session, connectionId };
  });
  reportSession(deps.database, session.flow, "created");
  return {
    authUrl: `${deps.publicUrl}/connect/link/${link}`,
    connection_id: connectionId,
    state,
    scopes: providers[provider].scopes,
    provider_id: provider,
    expires_at: new Date(session.expiresAt).toISOString(),
  };
}
