import { Layout } from "./layout.tsx";
import { AlertIcon } from "./icons.tsx";
import { hostOf } from "./consent_page.tsx";

export interface UnverifiedPageProps {
  appName: string;
  /** The app's registered web origins: where a real sign-in window is opened from. */
  appOrigins: string[];
  /** Stable SX-… code, shown so support can find the cause. */
  code: string;
}

/**
 * A popup consent link that was not opened by the app's own page (no opener, another
 * origin, no answer). The likely story is a forwarded link: the sender would get
 * access to the reader's account, so the page offers no way on to the provider.
 */
export function UnverifiedPage(props: UnverifiedPageProps) {
  const hosts = props.appOrigins.map(hostOf);
  return (
    <Layout title="Check where this link came from">
      <div class="centered">
        <div class="status-icon status-warning">
          <AlertIcon />
        </div>
        <h1>This link was not opened by {props.appName}</h1>
        <p class="lead">
          Sign-in links for <strong>{props.appName}</strong>{" "}
          only work in the window the app opens for you. If someone sent you this link, close this
          page: finishing it could give them access to your account.
        </p>
      </div>
      <ol class="steps">
        <li>Close this page. Nothing has been connected.</li>
        <li>
          {hosts.length > 0
            ? (
              <>
                To connect your account, go to <strong>{hosts.join(", ")}</strong>{" "}
                yourself and start from there.
              </>
            )
            : "To connect your account, open the app yourself and start from there."}
        </li>
      </ol>
      <p class="error-code centered">
        Error code <code>{props.code}</code>
      </p>
    </Layout>
  );
}
