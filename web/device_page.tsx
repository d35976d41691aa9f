import { Layout } from "./layout.tsx";
import { AlertIcon, DeviceIcon } from "./icons.tsx";

export interface DevicePageProps {
  csrfToken: string;
  /** Where the code is posted (field `code`). */
  formAction: string;
  error?: string;
  /** Attempts left before entry is locked; shown with the error. */
  attemptsLeft?: number | null;
  /** Code from `?code=` on a verification link. */
  prefill?: string;
}

/** Device-code entry: one input, a clear error area. */
export function DevicePage(props: DevicePageProps) {
  const hasError = Boolean(props.error);
  return (
    <Layout title="Enter your code">
      <div class="status-icon status-info">
        <DeviceIcon />
      </div>
      <div class="centered">
        <h1>Connect your accounts</h1>
        <p class="lead">Enter the code shown by the app or device you are signing in to.</p>
      </div>
      <form method="post" action={props.formAction} novalidate>
        <input type="hidden" name="csrf" value={props.csrfToken} />
        <div class="field">
          <label class="label" for="code">Device code</label>
          <input
            id="code"
            name="code"
            class="code-input"
            type="text"
            value={props.prefill ?? ""}
            placeholder="ABCD-1234"
            autocomplete="off"
            autocapitalize="characters"
            autocorrect="off"
            spellcheck={false}
            inputmode="text"
            maxlength={16}
            required
            autofocus
            aria-invalid={hasError ? "true" : undefined}
            aria-describedby={hasError ? "code-error code-help" : "code-help"}
          />
          <p class="help" id="code-help">
            8 characters, like ABCD-1234. Capitals and the dash are optional.
          </p>
          {hasError
            ? (
              <div class="field-error" id="code-error" role="alert">
                <AlertIcon />
                <span>
                  {props.error}
                  {attemptsText(props.attemptsLeft)}
                </span>
              </div>
            )
            : null}
        </div>
        <button type="submit" class="btn btn-primary btn-block">Continue</button>
      </form>
      <p class="fineprint centered">
        Only enter a code you got yourself. Nobody from the app will ask you for it.
      </p>
    </Layout>
  );
}

function attemptsText(left: number | null | undefined): string {
  if (left === null || left === undefined) return "";
  if (left <= 0) return " No attempts left; wait a while or ask the app for a new code.";
  return ` ${left} attempt${left === 1 ? "" : "s"} left.`;
}
