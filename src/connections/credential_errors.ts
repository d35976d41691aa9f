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
