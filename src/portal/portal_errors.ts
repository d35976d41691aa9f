import { SecurixError } from "../errors/securix_error.ts";

/** The Trust Portal's refusals, each with its stable code. */
export const portalErrors = {
  /** `returnUrl` is not on one of the app's origins. */
  returnUrlNotAllowed: (returnUrl: string) =>
    new SecurixError("SX-PORTAL-RETURN-URL", `returnUrl is not on one of the app's origins`, {
      status: 400,
      details: { returnUrl },
    }),
  /** A portal link that is unknown, already used or past its 10 minutes. */
  linkInvalid: (reason: "unknown" | "used" | "expired") =>
    new SecurixError("SX-PORTAL-LINK-INVALID", `This portal link is ${reason}`, {
      status: reason === "unknown" ? 404 : 410,
      details: { reason },
    }),
  /** No portal session, or it ended (idle 30 min, 4 h in all). */
  sessionRequired: () =>
    new SecurixError("SX-PORTAL-SESSION", "No portal session; open a new link from the app", {
      status: 401,
    }),
};
