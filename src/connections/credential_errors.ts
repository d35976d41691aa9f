import { SecurixError } from "../errors/securix_error.ts";

export function tokenExpired(provider: string, detail: string): SecurixError {
  return new SecurixError(
    "SX-TOKEN-EXPIRED",
    `The ${provider} credential cannot be used: ${detail}`,
    {
      status: 401,
      llmError:
        `The user's ${provider} connection has expired or was revoked; ask them to reconnect ${provider} through the app.`,
    },
  );
}

export const credentialErrors = {
  /** A vault record that decrypts but is not a credential this version understands. */
  unreadable(detail: string): SecurixError {
    return new SecurixError(
      "SX-CREDENTIAL-UNREADABLE",
      `The stored credential cannot be read: ${detail}`,
      {
        status: 500,
        llmError:
          "The connection's stored credential is damaged or from a newer appliance; ask the user to reconnect.",
      },
    );
  },
};
