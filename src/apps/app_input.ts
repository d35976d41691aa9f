import { z } from "zod";

/**
 * App names are handles used on the command line and in logs; commands take
 * an app's id or its name, and an id starts with `app_`, so a name cannot.
 */
export const appName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, {
  error: "expected 1-63 letters, digits, '-' or '_', starting with a letter or digit",
}).refine((name) => !/^app_/i.test(name), {
  error: "cannot start with 'app_', which app ids start with",
});

/** A web origin exactly as browsers send it: scheme://host[:port], no path. */
export const webOrigin = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a URL` });
    return z.NEVER;
  }
  if (!["http:", "https:"].includes(url.protocol) || url.origin !== value.replace(/\/$/, "")) {
    ctx.addIssue({
      code: "custom",
      message:
        `"${value}" is not an origin; expected scheme://host[:port] like https://app.example.com`,
    });
    return z.NEVER;
  }
  return url.origin;
});

/** Web origins one app may allow. */
export const MAX_ORIGINS = 20;

export const createAppInput = z.strictObject({
  name: appName,
  origins: z.array(webOrigin).max(MAX_ORIGINS).default([]),
});

export type CreateAppInput = z.input<typeof createAppInput>;

/** `apps update`: origins are added or removed one by one, so allowing one origin never drops the others. */
export const updateAppInput = z.strictObject({
  name: appName.optional(),
  addOrigins: z.array(webOrigin).max(MAX_ORIGINS).default([]),
  removeOrigins: z.array(webOrigin).max(MAX_ORIGINS).default([]),
  /** `GET /v1/token` may release credentials (true) or not (false); absent: unchanged. */
  credentialRelease: z.boolean().optional(),
  /** The app key may decide held calls through `POST /v1/approvals/{id}`; absent: unchanged. */
  approvalsViaApi: z.boolean().optional(),
});

export type UpdateAppInput = z.input<typeof updateAppInput>;

/** What happens to users' connections when their app is deleted. */
export const CONNECTION_FATES = ["revoke", "keep"] as const;
export type ConnectionFate = typeof CONNECTION_FATES[number];
