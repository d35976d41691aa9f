import en from "zod/v4/locales/en.js";

/**
 * Parse options that word zod's issues in English, as the appliance's own answers are.
 * zod/mini installs no locale (which keeps the served bundle small), so without these an
 * SX-INVALID-INPUT would only say "Invalid input"; passed per parse rather than through
 * `z.config`, which would change zod for the whole app that imports the SDK.
 */
export const ENGLISH: { error: ReturnType<typeof en>["localeError"] } = {
  error: en().localeError,
};
