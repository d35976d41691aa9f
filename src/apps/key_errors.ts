import { SecurixError } from "../errors/securix_error.ts";
import { AGENT_KEY_REACH } from "./key_role.ts";

/**
 * Too many failed API key checks from this client address: 429 with
 * Retry-After (from `details.retryAfter`), the same on the proxy and the API.
 */
export function lockedOut(retryAfterS: number): SecurixError {
  return new SecurixError(
    "SX-AUTH-LOCKOUT",
    `Too many failed API key checks from this address; try again in ${retryAfterS} s`,
    {
      status: 429,
      llmError:
        "The access broker refused this client for a while after repeated invalid API keys; try again later.",
      details: { retryAfter: retryAfterS },
    },
  );
}

/**
 * An agent key on a route only a backend key may call: the stable code tells
 * the developer which key to use, the llmError tells the agent to stop.
 */
export function agentKeyRefused(method: string, path: string): SecurixError {
  return new SecurixError(
    "SX-KEY-ROLE",
    `This is an agent key: ${AGENT_KEY_REACH}; not ${method} ${path}. Use a backend key from your server`,
    {
      status: 403,
      llmError:
        "The API key you were given is an agent key: it lets you call provider APIs through the Securix proxy and ask for or check a user's connection, nothing else. Do not retry this call or look for another key; tell your user what you wanted to do so that the app's backend can do it.",
      details: { role: "agent" },
    },
  );
}
