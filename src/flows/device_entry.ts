import { SecurixError } from "../errors/securix_error.ts";
import { addAttempt, currentAttempts } from "./attempt_counter.ts";
import { hashDeviceCode, normalizeDeviceCode } from "./device_code.ts";
import type { FlowDeps } from "./flow_deps.ts";
import { claimDeviceCode, findSessionByDeviceCode, loadSession } from "./session_store.ts";
import type { AuthSession } from "./session_types.ts";

/** Wrong codes one client address may enter per window before it is locked out. */
export const DEVICE_FAILURES_PER_CLIENT = 10;
export const DEVICE_FAILURE_WINDOW_MS = 15 * 60_000;

export class DeviceCodeError extends SecurixError {
  readonly attemptsLeft: number | null;
  constructor(code: string, message: string, status: number, attemptsLeft: number | null) {
    super(code, message, { status });
    this.attemptsLeft = attemptsLeft;
  }
}

/**
 * Checks a typed device code and binds its session to this browser. Codes
 * are single use: once claimed, only the browser that claimed it may go on.
 * Wrong codes count against the client address, so guessing stops after a
 * few tries while other users are unaffected.
 */
export async function enterDeviceCode(
  deps: FlowDeps,
  input: { code: string; clientAddress: string; bindingHash: string },
): Promise<AuthSession> {
  const db = deps.database.db;
  const now = deps.now();
  const key = `device-code-failures:${input.clientAddress}`;
  const failures = await currentAttempts(db, key, DEVICE_FAILURE_WINDOW_MS, now);
  if (failures >= DEVICE_FAILURES_PER_CLIENT) throw lockedOut();
  const normalized = normalizeDeviceCode(input.code);
  const found = normalized ? await findSessionByDeviceCode(db, hashDeviceCode(normalized)) : null;
  const session = found ? await loadSession(deps.database, found.id, now) : null;
  const usable = session && session.status === "pending" &&
    (session.deviceCodeUsedAt === null || session.browserBinding === input.bindingHash);
  if (!session || !usable) {
    const count = await addAttempt(db, key, DEVICE_FAILURE_WINDOW_MS, now);
    if (count >= DEVICE_FAILURES_PER_CLIENT) throw lockedOut();
    const left = DEVICE_FAILURES_PER_CLIENT - count;
    if (session && session.status === "expired") {
      throw new DeviceCodeError(
        "SX-DEVICE-CODE-EXPIRED",
        "This code has expired; ask the app for a new one",
        400,
        left,
      );
    }
    if (session) {
      throw new DeviceCodeError(
        "SX-DEVICE-CODE-USED",
        "This code was already used; ask the app for a new one",
        400,
        left,
      );
    }
    throw new DeviceCodeError(
      "SX-DEVICE-CODE-INVALID",
      "That code is not valid; check it and try again",
      400,
      left,
    );
  }
  if (session.deviceCodeUsedAt === null) {
    if (!await claimDeviceCode(db, session.id, input.bindingHash, now)) {
      throw new DeviceCodeError(
        "SX-DEVICE-CODE-USED",
        "This code was already used; ask the app for a new one",
        400,
        null,
      );
    }
  }
  return {
    ...session,
    deviceCodeUsedAt: session.deviceCodeUsedAt ?? now,
    browserBinding: input.bindingHash,
  };
}

function lockedOut(): DeviceCodeError {
  return new DeviceCodeError(
    "SX-DEVICE-LOCKED",
    "Too many wrong codes from your network; wait 15 minutes and try again",
    429,
    0,
  );
}
