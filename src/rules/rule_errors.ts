import { SecurixError } from "../errors/securix_error.ts";

/** The refusals rules produce, each with its stable code and a sentence an agent can relay. */
export const ruleErrors = {
  /** A deny rule applies; its `llm_error` is what the agent reads. */
  policyDenied: (rule: { name: string; llmError: string | null }) =>
    new SecurixError("SX-POLICY-DENIED", `Refused by rule "${rule.name}"`, {
      status: 403,
      llmError: rule.llmError ??
        "This action is not allowed by the security policy for this account. Do not retry it; tell the user it was blocked.",
      details: { rule: rule.name },
    }),
  /** The operation is in a scope the operator (or later the user) switched off. */
  scopeDisabled: (scope: string) =>
    new SecurixError("SX-SCOPE-DISABLED", `The scope "${scope}" is disabled`, {
      status: 403,
      llmError:
        `This kind of action (${scope}) is switched off for this account. Do not retry it; the user or the operator can enable it.`,
      details: { scope },
    }),
  /**
   * A hide rule applies but this operation cannot be checked for hidden items
   * (Gmail history, batch changes, an unmapped call): refused rather than trusted.
   */
  uncheckable: (rule: string, operation: string) =>
    new SecurixError(
      "SX-POLICY-DENIED",
      `Refused by rule "${rule}": ${operation} cannot be checked for hidden items`,
      {
        status: 403,
        llmError:
          "This action cannot be checked against the folders or labels hidden from you, so it is blocked. Use a more specific call (list or get single items).",
        details: { rule },
      },
    ),
  /** The item is in a hidden Gmail label or Drive folder: answered as not found. */
  folderHidden: (rule: string) =>
    new SecurixError("SX-FOLDER-HIDDEN", "The item is in a hidden label or folder", {
      status: 404,
      llmError: "This item is not available to you.",
      details: { rule },
    }),
  /**
   * A strict redaction could not inspect the provider's answer (not JSON, an
   * unknown Content-Encoding, or over max_inspect_bytes), so it is withheld.
   */
  uninspectable: (reason: string, rule: string | null) =>
    new SecurixError("SX-UNINSPECTABLE", `The response could not be inspected: ${reason}`, {
      status: 502,
      llmError:
        "The provider's answer could not be checked by the security policy, so it was withheld. Ask for less data (smaller pages, fewer fields) or plain JSON.",
      details: rule === null ? { reason } : { reason, rule },
    }),
};
