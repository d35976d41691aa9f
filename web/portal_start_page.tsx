import { Layout } from "./layout.tsx";
import { AlertIcon, ShieldIcon } from "./icons.tsx";

export interface PortalAccount {
  appName: string;
  entityId: string;
}

export interface PortalStartProps {
  /** Whose page the link opens. */
  opens: PortalAccount;
  /** The portal session already open in this browser, when it is another account's. */
  current: PortalAccount | null;
  /** The link's token, posted back with the button. */
  linkToken: string;
  csrfToken: string;
}

/**
 * What a portal link shows before it is used: one button. Opening the link
 * uses nothing (mail scanners and chat previews open links), and a browser
 * already in another account's portal is told whose page it would switch to.
 */
export function PortalStartPage(props: PortalStartProps) {
  const { opens, current } = props;
  return (
    <Layout title="Open your privacy page">
      <div class="centered">
        <div class="status-icon status-info">
          <ShieldIcon />
        </div>
        <h1>
          Open your Securix privacy page for <strong>{opens.appName}</strong>
        </h1>
        <p class="lead">
          See your connected accounts and choose what its agents may do with them.
        </p>
      </div>
      {current
        ? (
          <p class="notice notice-warning" role="note" data-portal-switch>
            <AlertIcon />
            <span>
              This browser has the privacy page open as <strong>{current.entityId}</strong> for{" "}
              <strong>{current.appName}</strong>. Continuing closes it and opens the page of{" "}
              <strong>{opens.entityId}</strong> for <strong>{opens.appName}</strong>{" "}
              instead. If this is not your account, or you did not ask for this link, close this
              window.
            </span>
          </p>
        )
        : null}
      <form method="post" action="/portal/start" class="actions">
        <input type="hidden" name="t" value={props.linkToken} />
        <input type="hidden" name="csrf" value={props.csrfToken} />
        <button type="submit" class="btn btn-primary" data-portal-open>
          {current ? `Switch to ${opens.entityId}` : "Open my privacy page"}
        </button>
      </form>
      <p class="fineprint centered">
        Signs you in as <strong>{opens.entityId}</strong>. The link works once, for 10 minutes.
      </p>
    </Layout>
  );
}
