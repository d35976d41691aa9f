import { Layout } from "./layout.tsx";
import { AlertIcon, ShieldIcon } from "./icons.tsx";

export interface ApprovalPageProps {
  approvalId: string;
  appName: string;
  agentId: string;
  entityId: string;
  provider: string;
  operation: string;
  /** One sentence: what the call does. */
  summary: string;
  recipients?: string[];
  recipientCount?: number;
  subject?: string | null;
  resource?: string;
  /** ISO timestamp. */
  expiresAt: string;
  csrfToken: string;
  /** The link token, posted back with the decision (never in the form's URL). */
  linkToken: string;
  /** The link that was opened; its button comes first. */
  link: "approve" | "deny";
  /** For tests; default `Date.now()`. */
  now?: number;
}

/**
 * What an agent asks a person to approve, with Approve and Deny. Opening the
 * page decides nothing (link scanners open links); only the form's POST does.
 */
export function ApprovalPage(props: ApprovalPageProps) {
  const now = props.now ?? Date.now();
  return (
    <Layout title="Approve an action">
      <div class="centered">
        <div class="status-icon status-warning">
          <ShieldIcon />
        </div>
        <h1>
          <strong>{props.agentId}</strong> asks for your approval
        </h1>
        <p class="lead">{props.summary}</p>
      </div>
      <dl class="facts">
        {props.recipients && props.recipients.length > 0
          ? (
            <div>
              <dt>To</dt>
              <dd>
                {props.recipients.join(", ")}
                {props.recipientCount && props.recipientCount > props.recipients.length
                  ? ` and ${props.recipientCount - props.recipients.length} more`
                  : ""}
              </dd>
            </div>
          )
          : null}
        {props.subject
          ? (
            <div>
              <dt>Subject</dt>
              <dd>{props.subject}</dd>
            </div>
          )
          : null}
        {props.resource
          ? (
            <div>
              <dt>Item</dt>
              <dd>
                <code>{props.resource}</code>
              </dd>
            </div>
          )
          : null}
        <div>
          <dt>Account</dt>
          <dd>
            {props.entityId} · {props.provider}
          </dd>
        </div>
        <div>
          <dt>Requested by</dt>
          <dd>
            {props.agentId} ({props.appName})
          </dd>
        </div>
        <div>
          <dt>Action</dt>
          <dd>
            <code>{props.operation}</code>
          </dd>
        </div>
      </dl>
      <p class="notice notice-warning" role="note">
        <AlertIcon />
        <span>
          Approve only if you expect this. The agent can then make this exact call once; anything
          different needs a new approval.
        </span>
      </p>
      <form method="post" action={`/approvals/${props.approvalId}`} class="actions">
        <input type="hidden" name="csrf" value={props.csrfToken} />
        <input type="hidden" name="t" value={props.linkToken} />
        <button
          type="submit"
          name="decision"
          value="approve"
          class={`btn ${props.link === "approve" ? "btn-primary" : "btn-secondary"}`}
          data-approval-approve
        >
          Approve
        </button>
        <button
          type="submit"
          name="decision"
          value="deny"
          class={`btn ${props.link === "deny" ? "btn-primary" : "btn-secondary"}`}
          data-approval-deny
        >
          Deny
        </button>
      </form>
      <p class="fineprint centered">
        {expiryText(props.expiresAt, now)} Reference <code>{props.approvalId}</code>
      </p>
    </Layout>
  );
}

function expiryText(expiresAt: string, now: number): string {
  const ms = Date.parse(expiresAt) - now;
  if (!(ms > 0)) return "This request has expired.";
  const minutes = Math.ceil(ms / 60_000);
  return `This request expires in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}
