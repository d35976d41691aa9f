import { ASSET_URLS } from "./assets.ts";
import { Layout } from "./layout.tsx";
import { CheckIcon, CrossIcon } from "./icons.tsx";

export interface ResultPageProps {
  title: string;
  message: string;
  status: "success" | "failure";
  sessionId?: string;
  /**
   * The app origin the popup posts its result to. Only with it does the page load
   * popup_result.js; it must be a bare origin (`https://app.example.com`).
   */
  targetOrigin?: string;
  /** Machine reason passed to the app on failure, e.g. `access_denied`. */
  reason?: string;
  /** A link back to the app (a gateway consent's return_url), where the page does not redirect. */
  back?: { href: string; label: string };
}

/**
 * The end of a sign-in. As the popup's done page (with `targetOrigin`) it carries its
 * result in data attributes of `#securix-result`; popup_result.js posts it to the
 * opener and closes the window.
 */
export function ResultPage(props: ResultPageProps) {
  const ok = props.status === "success";
  const target = props.targetOrigin && isOrigin(props.targetOrigin) ? props.targetOrigin : null;
  const popup = target !== null && Boolean(props.sessionId);
  return (
    <Layout title={props.title} script={popup ? ASSET_URLS.popupResultJs : undefined}>
      <div
        id="securix-result"
        class="centered"
        data-session-id={props.sessionId}
        data-status={ok ? "completed" : "failed"}
        data-target-origin={target ?? undefined}
        data-reason={props.reason}
      >
        <div class={`status-icon ${ok ? "status-success" : "status-failure"}`}>
          {ok ? <CheckIcon /> : <CrossIcon />}
        </div>
        <h1>{props.title}</h1>
        <p class="lead" role="status">{props.message}</p>
        {popup
          ? (
            <p class="close-hint" data-close-hint hidden>
              You can close this window now.
            </p>
          )
          : null}
        {props.back
          ? (
            <p>
              <a href={props.back.href}>{props.back.label}</a>
            </p>
          )
          : null}
        {!ok && props.sessionId
          ? (
            <p class="fineprint">
              Reference <code>{props.sessionId}</code>
              {props.reason
                ? (
                  <>
                    {" · "}
                    <code>{props.reason}</code>
                  </>
                )
                : null}
            </p>
          )
          : null}
      </div>
    </Layout>
  );
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value && /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}
