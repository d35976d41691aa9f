import { Layout } from "./layout.tsx";
import { AlertIcon, LockIcon } from "./icons.tsx";

export interface CredentialField {
  name: string;
  type: "string" | "number" | "boolean";
  title: string;
  description?: string;
  /** Masked, and never filled back in after a refusal. */
  secret: boolean;
  required: boolean;
  pattern?: string;
  enum?: string[];
}

export interface CredentialPageProps {
  appName: string;
  providerName: string;
  fields: CredentialField[];
  /** What the user typed in the non-secret fields, after a refusal. */
  values?: Record<string, string>;
  /** Per field, from the server's check of the schema. */
  errors?: Record<string, string>;
  /** The provider's refusal of the test request: why nothing was stored. */
  refusal?: string;
  csrfToken: string;
  /** CSRF token of the session's consent forms (Cancel posts there). */
  cancelToken: string;
  /** `/connect/<id>`: the form posts to `/credential`, Cancel to `/cancel`. */
  formAction: string;
}

/** The credential form: one input per schema field; a refusal says why and keeps no secret. */
export function CredentialPage(props: CredentialPageProps) {
  const values = props.values ?? {};
  const errors = props.errors ?? {};
  return (
    <Layout title={`Connect ${props.providerName}`}>
      <div class="status-icon status-info">
        <LockIcon />
      </div>
      <div class="centered">
        <h1>
          Connect your <strong>{props.providerName}</strong> account
        </h1>
        <p class="lead">
          <strong>{props.appName}</strong> asks for access. Enter the credential{" "}
          {props.providerName} gave you; Securix checks it with {props.providerName}{" "}
          before saving it.
        </p>
      </div>
      {props.refusal
        ? (
          <div class="field-error form-refusal" role="alert" data-credential-refusal>
            <AlertIcon />
            <span>Not saved: {props.refusal}.</span>
          </div>
        )
        : null}
      <form method="post" action={`${props.formAction}/credential`} autocomplete="off">
        <input type="hidden" name="csrf" value={props.csrfToken} />
        {props.fields.map((field) => (
          <Field
            key={field.name}
            field={field}
            value={field.secret ? "" : values[field.name] ?? ""}
            error={errors[field.name]}
          />
        ))}
        <div class="actions">
          <button type="submit" class="btn btn-primary" data-credential-submit>
            Check and connect
          </button>
        </div>
      </form>
      <form method="post" action={`${props.formAction}/cancel`} class="actions">
        <input type="hidden" name="csrf" value={props.cancelToken} />
        <button type="submit" class="btn btn-secondary btn-block">Cancel</button>
      </form>
      <p class="notice">
        <LockIcon />
        <span>
          {props.appName}{" "}
          never sees what you type here. Securix keeps it encrypted and uses it only for the
          requests you allow; you can revoke access at any time.
        </span>
      </p>
    </Layout>
  );
}

function Field(props: { field: CredentialField; value: string; error?: string }) {
  const { field, error } = props;
  const id = `field_${field.name}`;
  const described = [error ? `${id}-error` : null, field.description ? `${id}-help` : null]
    .filter(Boolean).join(" ") || undefined;
  const invalid = error ? "true" : undefined;
  if (field.type === "boolean") {
    return (
      <div class="field">
        <input type="hidden" name={id} value="false" />
        <label class="check-field">
          <input
            type="checkbox"
            name={id}
            value="true"
            checked={props.value === "true"}
            aria-describedby={described}
          />
          {field.title}
        </label>
        {field.description ? <p class="help" id={`${id}-help`}>{field.description}</p> : null}
        {error ? <FieldError id={`${id}-error`} message={error} /> : null}
      </div>
    );
  }
  return (
    <div class="field">
      <label class="label" for={id}>{field.title}</label>
      {field.enum
        ? (
          <select
            id={id}
            name={id}
            class="text-input"
            required={field.required}
            aria-invalid={invalid}
            aria-describedby={described}
          >
            {field.required ? null : <option value="">—</option>}
            {field.enum.map((option) => (
              <option value={option} selected={option === props.value}>{option}</option>
            ))}
          </select>
        )
        : (
          <input
            id={id}
            name={id}
            class="text-input"
            type={field.secret ? "password" : "text"}
            inputmode={field.type === "number" ? "decimal" : undefined}
            value={props.value}
            required={field.required}
            autocomplete={field.secret ? "new-password" : "off"}
            autocapitalize="off"
            spellcheck={false}
            maxlength={4096}
            aria-invalid={invalid}
            aria-describedby={described}
          />
        )}
      {field.description ? <p class="help" id={`${id}-help`}>{field.description}</p> : null}
      {error ? <FieldError id={`${id}-error`} message={error} /> : null}
    </div>
  );
}

function FieldError(props: { id: string; message: string }) {
  return (
    <div class="field-error" id={props.id} role="alert">
      <AlertIcon />
      <span>{props.message}</span>
    </div>
  );
}
