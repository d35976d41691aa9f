import { SecurixError } from "../errors/securix_error.ts";

/** The console's sign-in errors: one answer for every wrong credential, so none is confirmed. */
export const adminErrors = {
  invalidName: (why: string) =>
    new SecurixError("SX-INVALID-INPUT", `Admin name ${why}`, { status: 400 }),
  weakPassword: () =>
    new SecurixError(
      "SX-INVALID-INPUT",
      "The password must be at least 12 characters (a passphrase is fine)",
      { status: 400 },
    ),
  exists: (name: string) =>
    new SecurixError("SX-ADMIN-EXISTS", `An admin named "${name}" exists already`, {
      status: 409,
    }),
  notFound: (name: string) =>
    new SecurixError("SX-ADMIN-NOT-FOUND", `No admin named "${name}"; see securix admins list`, {
      status: 404,
    }),
  signInFailed: () =>
    new SecurixError("SX-SIGN-IN-FAILED", "Wrong name, password or code", { status: 401 }),
  lockedOut: (retryAfterS: number) =>
    new SecurixError(
      "SX-AUTH-LOCKOUT",
      `Too many failed sign-ins; try again in ${retryAfterS} s`,
      { status: 429, headers: [["retry-after", String(retryAfterS)]] },
    ),
  linkInvalid: () =>
    new SecurixError(
      "SX-LOGIN-LINK-INVALID",
      "This login link is unknown, used or expired; ask for a new one with securix admin login-link",
      { status: 401 },
    ),
};
