import { SecurixError } from "../errors/securix_error.ts";

/** The Trust Portal's refusals, each with its stable code. */
export const portalErrors = {
  /** `returnUrl` is not on one of the app's origins. */
  returnUrlNotAllowed: (returnUrl: string) =>
    new SecurixError("SX-PORTAL-RETURN-URL", `returnUrl is not on one of the app's origins`, {
      status: 400,
      details: { returnUrl },
    }),
};
