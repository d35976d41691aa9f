import { SecurixError } from "../errors/securix_error.ts";
import {
  addAttempt,
  clockWindow,
  giveBackAttempt,
  reserveAttempt,
  sessionWindow,
} from "./attempt_counter.ts";
import { DEVICE_CODE_ATTEMPTS, hashDeviceCode, normalizeDeviceCode } from "./device_code.ts";
import type { FlowDeps } from "./flow_deps.ts";
import {
  claimDeviceCode,
  endSession,
  findSessionByDeviceCode,
  loadSession,
} from "./session_store.ts";
import type { AuthSession } from "./session_types.ts";
import { lockoutKey } from "../apps/key_lockout.ts";

/** Wrong codes one client address may enter per window before it is locked out. */
export const DEVICE_FAILURES_PER_CLIENT = 10;
export const DEVICE_FAILURE_WINDOW_MS = 15 * 60_000;

/**
 * Entries of one valid, already claimed code from browsers other than the one
 * it is bound to (or that lose the race to claim it); the fifth ends the code's
 * session. Whoever shoulder-surfed or intercepted a code may try it from as many
 * addresses as they like, so the per-address limit alone does not cover it.
 */
export const DEVICE_FAILURES_PER_CODE = 5;

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
 * few tries while other users are unaffected; a valid code entered by another
 * browser also counts against the code itself (DEVICE_FAILURES_PER_CODE).
 */
export async function enterDeviceCode(
  deps: FlowDeps,
  input: { code: string; clientAddress: string; bindingHash: string },
): Promise<AuthSession> {
  const db = deps.database.db;
  const now = deps.now();
  // Per /64 for IPv6, as the key lockout: one client usually holds a whole /64.
  const key = `device-code-failures:${lockoutKey(input.clientAddress)}`;
  const window = clockWindow(DEVICE_FAILURE_WINDOW_MS, now);
  // Counted as wrong before the code is looked up, so concurrent guesses from
  // one address cannot outrun the limit; an entry that turns out not to be a
  // guess gives its count back.
  const count = await reserveAttempt(db, key, window, DEVICE_FAILURES_PER_CLIENT);
  if (count === null) throw lockedOut();
  const normalized = normalizeDeviceCode(input.code);
  const findCode = deps.findDeviceCode ?? findSessionByDeviceCode;
  const found = normalized ? await findCode(db, hashDeviceCode(normalized)) : null;
  const session = found ? await loadSession(deps.database, found.id, now) : null;
  const usable = session && session.status === "pending" &&
    (session.deviceCodeUsedAt === null || session.browserBinding === input.bindingHash);
  if (!session || !usable) {
    // Counted before the address's lockout answers: this entry did check the code.
    const ended = session?.status === "pending" && await countForeignEntry(deps, session, now);
    if (count >= DEVICE_FAILURES_PER_CLIENT) throw lockedOut();
    const left = DEVICE_FAILURES_PER_CLIENT - count;
    if (ended || (session && session.reason === DEVICE_CODE_ATTEMPTS.reason)) {
      throw codeEnded();
    }
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
  // A valid code, or another browser's claim of one: not a guess, so not the address's failure.
  await giveBackAttempt(db, key, window);
  if (session.deviceCodeUsedAt === null) {
    if (!await claimDeviceCode(db, session.id, input.bindingHash, now)) {
      // Another browser claimed it in the meantime: this one is foreign to the code.
      if (await countForeignEntry(deps, session, now)) throw codeEnded();
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

/**
 * Counts one entry of a pending code by a browser it is not bound to; true when
 * that was one too many and the code's session is now failed.
 */
async function countForeignEntry(
  deps: FlowDeps,
  session: AuthSession,
  now: number,
): Promise<boolean> {
  const key = `device-code-entries:${session.id}`;
  // One window for the code's whole life, which is its session's.
  const count = await addAttempt(deps.database.db, key, sessionWindow(session));
  if (count < DEVICE_FAILURES_PER_CODE) return false;
  await endSession(deps.database, session, "failed", DEVICE_CODE_ATTEMPTS.reason, now);
  return true;
}

/** No attempts are counted down: this code is over whatever the address has left. */
function codeEnded(): DeviceCodeError {
  return new DeviceCodeError(
    DEVICE_CODE_ATTEMPTS.code,
    "This code was entered in other browsers too many times and has been ended; ask the app for a new one",
    400,
    null,
  );
}

function lockedOut(): DeviceCodeError {
  return new DeviceCodeError(
    "SX-DEVICE-LOCKED",
    "Too many wrong codes from your network; wait 15 minutes and try again",
    429,
    0,
  );
}
