import type { StoredCredential } from "../connections/connection_types.ts";
import { addAttempt, sessionWindow } from "./attempt_counter.ts";
import { credentialFromForm, readCredentialForm } from "./credential_form_input.ts";
import type { FlowDeps } from "./flow_deps.ts";
import type { FlowProvider } from "./flow_provider.ts";
import { type CallbackOutcome, nextProvider, recordConnected } from "./provider_steps.ts";
import { endSession, loadSession } from "./session_store.ts";
import { type Account, type AuthSession, isOpen } from "./session_types.ts";

/**
 * Credentials one consent may test against the provider. Each test is a
 * real call with what was typed: without a cap, a consent link would be a
 * free oracle for guessing keys through the appliance.
 */
export const MAX_CREDENTIAL_TESTS = 5;

export type CredentialStepOutcome =
  /** The form did not pass the schema; nothing was sent anywhere. */
  | { kind: "invalid"; errors: Record<string, string> }
  /** The provider's test request did not answer as expected; nothing was stored. */
  | { kind: "refused"; status: number | null; reason: string; attemptsLeft: number }
  | CallbackOutcome;

/**
 * The credential form's answer, in place of the OAuth callback: validate
 * against the schema, make the provider's test request with the credential,
 * and only when the provider accepts it store it and move the session on
 * exactly as a callback does (popup: awaiting the sxc confirmation; device:
 * completed). The session must be this provider's turn.
 */
export async function submitCredential(
  deps: FlowDeps,
  session: AuthSession,
  provider: FlowProvider,
  form: Record<string, string>,
): Promise<CredentialStepOutcome> {
  const settings = provider.form;
  if (!settings || nextProvider(session) !== provider.name) {
    return { kind: "failed", session, reason: "not_this_provider" };
  }
  const input = readCredentialForm(settings.schema, form);
  if (!input.ok) return { kind: "invalid", errors: input.errors };
  if (settings.strategy === "basic_auth" && input.values.username.includes(":")) {
    // RFC 7617: the user-id ends at the first colon, so the provider would read another user.
    return { kind: "invalid", errors: { username: "The username cannot contain a colon (:)." } };
  }
  // Counted over the session's whole life: the cap is per consent, whatever the clock says.
  const used = await addAttempt(
    deps.database.db,
    `credential-form:${session.id}`,
    sessionWindow(session),
  );
  if (used > MAX_CREDENTIAL_TESTS) {
    await endSession(deps.database, session, "failed", "too_many_attempts", deps.now());
    return {
      kind: "failed",
      session: { ...session, status: "failed", reason: "too_many_attempts" },
      reason: "too_many_attempts",
    };
  }
  const credential = credentialFromForm(settings.strategy, input.values);
  const check = await settings.check(credential);
  if (!check.ok) {
    return {
      kind: "refused",
      status: check.status,
      reason: check.reason,
      attemptsLeft: MAX_CREDENTIAL_TESTS - used,
    };
  }
  // The test took a while: the session may have been cancelled or finished meanwhile.
  const current = await loadSession(deps.database, session.id, deps.now());
  if (!current || !isOpen(current) || nextProvider(current) !== provider.name) {
    return {
      kind: "failed",
      session: current ?? session,
      reason: current?.reason ?? "session_changed",
    };
  }
  return await recordConnected(deps, current, provider.name, credential, {
    account: accountOf(credential, current),
    expiresAt: null,
    // Keys and passwords do not expire on their own: the connection lasts until revoked.
    refreshable: true,
    granted: current.providers[provider.name].scopes,
  });
}

/**
 * Who connected, as far as the credential tells without asking the provider:
 * the basic-auth username, the SigV4 access key id (an identifier, not the
 * secret); for an API key, the app's own entity id.
 */
function accountOf(credential: StoredCredential, session: AuthSession): Account {
  switch (credential.kind) {
    case "basic":
      return { id: credential.username, name: credential.username, email: null };
    case "aws_sigv4":
      return { id: credential.accessKeyId, name: null, email: null };
    default:
      return { id: session.entityId, name: null, email: null };
  }
}
