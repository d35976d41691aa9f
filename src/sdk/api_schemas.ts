import * as z from "zod/mini";

/**
 * The appliance's answers as the server SDK reads them. Objects are loose so
 * an SDK keeps working when the appliance adds fields; what the SDK relies on
 * is checked. zod/mini, not zod: the bundle served at /sdk/securix.js carries only the
 * validators used here, not zod's methods and locales (812 KB with them).
 */
export const flowSchema = z.enum(["popup", "device"]);
export type Flow = z.output<typeof flowSchema>;

export const accountSchema = z.looseObject({
  id: z.string(),
  email: z.nullish(z.string()),
  name: z.nullish(z.string()),
});
export type Account = z.output<typeof accountSchema>;

export const sessionStatusSchema = z.enum([
  "pending",
  "awaiting_confirmation",
  "completed",
  "failed",
  "expired",
]);
export type SessionStatus = z.output<typeof sessionStatusSchema>;

export const createdSessionSchema = z.looseObject({
  sessionId: z.string(),
  authUrl: z.string(),
  expiresAt: z.string(),
  flow: flowSchema,
  deviceAuthCode: z.optional(z.string()),
  interval: z.optional(z.number()),
});
export type CreatedSession = z.output<typeof createdSessionSchema>;

const sessionProviderSchema = z.looseObject({
  status: z.string(),
  scopes: z.array(z.string()),
  account: z.nullish(accountSchema),
});

export const authSessionSchema = z.looseObject({
  sessionId: z.string(),
  entityId: z.string(),
  flow: flowSchema,
  status: sessionStatusSchema,
  reason: z.nullish(z.string()),
  expiresAt: z.string(),
  providers: z.record(z.string(), sessionProviderSchema),
});
export type AuthSession = z.output<typeof authSessionSchema>;

export const confirmedSessionSchema = z.extend(authSessionSchema, {
  status: z.literal("AUTH_SUCCESS"),
});
export type ConfirmedSession = z.output<typeof confirmedSessionSchema>;

export const authStatusSchema = z.enum(["AUTH_SUCCESS", "AUTH_FAILURE", "AUTH_PENDING"]);
export type AuthStatus = z.output<typeof authStatusSchema>;

export const entityStatusSchema = z.looseObject({
  status: authStatusSchema,
  providers: z.record(
    z.string(),
    z.looseObject({
      status: z.string(),
      scopes: z.array(z.string()),
      account: z.nullish(accountSchema),
    }),
  ),
});
export type EntityStatus = z.output<typeof entityStatusSchema>;

export const connectionSchema = z.looseObject({
  id: z.string(),
  entityId: z.string(),
  provider: z.string(),
  status: z.string(),
  scopes: z.array(z.string()),
  account: z.nullish(accountSchema),
  /** false: the token expires without a refresh token, and the user must connect again by `expiresAt`. */
  refreshable: z.nullish(z.boolean()),
  expiresAt: z.nullish(z.string()),
  createdAt: z.string(),
});
export type Connection = z.output<typeof connectionSchema>;

export const connectionListSchema = z.looseObject({
  connections: z.array(connectionSchema),
  // Older appliances answer without it: one page holds everything.
  nextCursor: z.nullish(z.string()),
});

export const mcpUrlSchema = z.looseObject({
  id: z.string(),
  url: z.string(),
  expiresAt: z.string(),
  entityId: z.string(),
  agentId: z.string(),
  providers: z.nullable(z.array(z.string())),
});
export type McpUrl = z.output<typeof mcpUrlSchema>;

export const portalUrlSchema = z.looseObject({
  url: z.string(),
  expiresAt: z.string(),
});
export type PortalUrl = z.output<typeof portalUrlSchema>;
