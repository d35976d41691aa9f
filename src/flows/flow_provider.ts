import type { StoredCredential } from "../connections/connection_types.ts";
import type { CredentialCheck } from "../providers/credential_check.ts";
import type { CredentialSchema, CredentialStrategy } from "../providers/provider_definition.ts";
import type { Account } from "./session_types.ts";

/** A provider whose credential the user types into the appliance's form instead of OAuth. */
export interface CredentialFormProvider {
  strategy: Exclude<CredentialStrategy, "oauth2">;
  schema: CredentialSchema;
  /** The provider's `test_request` with `credential`, through the proxy's injection and transport. */
  check(credential: StoredCredential): Promise<CredentialCheck>;
}

/** Tokens as a provider returned them, normalised. */
export interface TokenResult {
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
  expiresAt: number | null;
  scopes: string[] | null;
  idToken: string | null;
}

/**
 * What the consent flows need from a provider. The catalog adapts each
 * configured provider to this, so flows never depend on a provider's details.
 */
export interface FlowProvider {
  name: string;
  displayName: string;
  /** Scopes the operator allows; null allows any. */
  allowedScopes: readonly string[] | null;
  /** Scopes requested when a session names none. */
  defaultScopes: readonly string[];
  /** Origin of the authorization endpoint (for the consent page's form-action CSP). */
  readonly authorizationOrigin: string;
  /** Rejects with SX-PROVIDER-UNAVAILABLE while a custom OIDC issuer cannot be discovered. */
  authorizationUrl(input: {
    state: string;
    codeVerifier: string;
    scopes: string[];
    redirectUri: string;
  }): Promise<URL>;
  exchangeCode(input: { code: string; codeVerifier: string; redirectUri: string }): Promise<
    TokenResult
  >;
  fetchAccount(accessToken: string): Promise<Account | null>;
  /** Set for non-OAuth strategies: consent is the credential form, not a redirect. */
  readonly form?: CredentialFormProvider | null;
  /**
   * Revokes a stored credential at the provider, presenting whichever of its
   * tokens the provider's revocation takes; absent when the provider cannot.
   */
  readonly revoke:
    | ((tokens: { accessToken: string; refreshToken: string | null }) => Promise<void>)
    | null;
}

export interface ProviderRegistry {
  /** Enabled providers by name. */
  enabled: ReadonlyMap<string, FlowProvider>;
  /** Every name the catalog knows, enabled or not (to tell "disabled" from "unknown"). */
  known: ReadonlySet<string>;
}
