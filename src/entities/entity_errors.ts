import { SecurixError } from "../errors/securix_error.ts";

export const entityErrors = {
  /** The app holds nothing for this entity: never seen, or erased already. */
  notFound: (entityId: string) =>
    new SecurixError(
      "SX-ENTITY-NOT-FOUND",
      `This app holds nothing for entity "${entityId}"`,
      { status: 404, details: { entityId } },
    ),
};
