import * as z from "zod/mini";

/**
 * The appliance's answers as the server SDK reads them. Objects are loose so
 * an SDK keeps working when the appliance adds fields; what the SDK relies on
 * is checked. zod/mini, not zod: the bundle served at /sdk/securix.js carries only the
 * validators used here, not zod's methods and locales (812 KB with them).
 *
 * The types are written out rather than inferred (`z.output`), so the declarations served at
 * /sdk/securix.d.ts need no zod; `satisfies` keeps each schema within its type.
 */
export type Flow = "popup" | "device";
export const flowSchema = z.enum(["popup", "device"]) satisfies z.ZodMiniType<Flow>;

export interface Account {
  id: string;
  email?: string | null;
  name?: string | null;
  [field: string]: unknown;
}
export const accountSchema = z.looseObject({
  id: z.string(),
  email: z.nullish(z.string()),
  name: z.nullish(z.string()),
}) satisfies z.ZodMiniType<Account>;

export type SessionStatus =
  | "pending"
  | "awaiting_confirmation"
  | "completed"
  | "failed"
  | "expired";
export const sessionStatusSchema = z.enum([
  "pending",
  "awaiting_confirmation",
  "completed",
  "failed",
  "expired",
]) satisfies z.ZodMiniType<SessionStatus>;

export interface CreatedSession {
  sessionId: string;
  authUrl: string;
  expiresAt: string;
  flow: Flow;
  deviceAuthCode?: string;
  interval?: number;
  [field: string]: unknown;
}
export const createdSessionSchema = z.looseObject({
  sessionId: z.string(),
  authUrl: z.string(),
  expiresAt: z.string(),
  flow: flowSchema,
  deviceAuthCode: z.optional(z.string()),
  interval: z.optional(z.number()),
}) satisfies z.ZodMiniType<CreatedSession>;

/** One provider of a session or an entity: its connection's status, scopes and account. */
export interface ProviderState {
  status: string;
  scopes: string[];
  account?: Account | null;
  [field: string]: unknown;
}
const providerStateSchema = z.looseObject({
  status: z.string(),
  scopes: z.array(z.string()),
  account: z.nullish(accountSchema),
}) satisfies z.ZodMiniType<ProviderState>;

export interface AuthSession {
  sessionId: string;
  entityId: string;
  flow: Flow;
  status: SessionStatus;
  reason?: string | null;
  expiresAt: string;
  providers: Record<string, ProviderState>;
  [field: string]: unknown;
}
export const authSessionSchema = z.looseObject({
  sessionId: z.string(),
  entityId: z.string(),
  flow: flowSchema,
  status: sessionStatusSchema,
  reason: z.nullish(z.string()),
  expiresAt: z.string(),
  providers: z.record(z.string(), providerStateSchema),
}) satisfies z.ZodMiniType<AuthSession>;

export interface ConfirmedSession extends Omit<AuthSession, "status"> {
  status: "AUTH_SUCCESS";
}
export const confirmedSessionSchema = z.extend(authSessionSchema, {
  status: z.literal("AUTH_SUCCESS"),
}) satisfies z.ZodMiniType<ConfirmedSession>;

export type AuthStatus = "AUTH_SUCCESS" | "AUTH_FAILURE" | "AUTH_PENDING";
export const authStatusSchema = z.enum([
  "AUTH_SUCCESS",
  "AUTH_FAILURE",
  "AUTH_PENDING",
]) satisfies z.ZodMiniType<AuthStatus>;

export interface EntityStatus {
  status: AuthStatus;
  providers: Record<string, ProviderState>;
  [field: string]: unknown;
}
export const entityStatusSchema = z.looseObject({
  status: authStatusSchema,
  providers: z.record(z.string(), providerStateSchema),
}) satisfies z.ZodMiniType<EntityStatus>;

export interface Connection {
  id: string;
  entityId: string;
  provider: string;
  status: string;
  scopes: string[];
  account?: Account | null;
  /** false: the token expires without a refresh token, and the user must connect again by `expiresAt`. */
  refreshable?: boolean | null;
  expiresAt?: string | null;
  createdAt: string;
  [field: string]: unknown;
}
export const connectionSchema = z.looseObject({
  id: z.string(),
  entityId: z.string(),
  provider: z.string(),
  status: z.string(),
  scopes: z.array(z.string()),
  account: z.nullish(accountSchema),
  refreshable: z.nullish(z.boolean()),
  expiresAt: z.nullish(z.string()),
  createdAt: z.string(),
}) satisfies z.ZodMiniType<Connection>;

export const connectionListSchema = z.looseObject({
  connections: z.array(connectionSchema),
  // Older appliances answer without it: one page holds everything.
  nextCursor: z.nullish(z.string()),
});

export interface McpUrl {
  id: string;
  url: string;
  expiresAt: string;
  entityId: string;
  agentId: string;
  providers: string[] | null;
  [field: string]: unknown;
}
export const mcpUrlSchema = z.looseObject({
  id: z.string(),
  url: z.string(),
  expiresAt: z.string(),
  entityId: z.string(),
  agentId: z.string(),
  providers: z.nullable(z.array(z.string())),
}) satisfies z.ZodMiniType<McpUrl>;

export interface PortalUrl {
  url: string;
  expiresAt: string;
  [field: string]: unknown;
}
export const portalUrlSchema = z.looseObject({
  url: z.string(),
  expiresAt: z.string(),
}) satisfies z.ZodMiniType<PortalUrl>;

/** What `DELETE /v1/entities/{entityId}` removed, by kind (rows deleted). */
export interface ErasedEntity {
  entityId: string;
  erased: true;
  /** Connections that were live and are revoked now (as `connections.revoke` does). */
  connectionsRevoked: number;
  /** Of those, how many the provider confirmed. */
  providerConfirmed: number;
  connections: number;
  authSessions: number;
  portalChoices: number;
  portalSessions: number;
  portalLinks: number;
  mcpUrls: number;
  approvals: number;
  [field: string]: unknown;
}
export const erasedEntitySchema = z.looseObject({
  entityId: z.string(),
  erased: z.literal(true),
  connectionsRevoked: z.number(),
  providerConfirmed: z.number(),
  connections: z.number(),
  authSessions: z.number(),
  portalChoices: z.number(),
  portalSessions: z.number(),
  portalLinks: z.number(),
  mcpUrls: z.number(),
  approvals: z.number(),
}) satisfies z.ZodMiniType<ErasedEntity>;
