import { Layout } from "./layout.tsx";
import { AlertIcon } from "./icons.tsx";

export interface ErrorPageProps {
  title: string;
  message: string;
  /** Stable SX-… code, shown so support can find the cause. */
  code?: string;
  /** Where the user goes on from here (a gateway consent's return_url), instead of "close". */
  back?: { href: string; label: string };
}

/** A page that cannot go on: expired link, wrong browser, refused form. */
export function ErrorPage(props: ErrorPageProps) {
  return (
    <Layout title={props.title}>
      <div class="centered">
        <div class="status-icon status-failure">
          <AlertIcon />
        </div>
        <h1>{props.title}</h1>
        <p class="lead">{props.message}</p>
        {props.code
          ? (
            <p class="error-code">
              Error code <code>{props.code}</code>
            </p>
          )
          : null}
        {props.back
          ? (
            <p>
              <a href={props.back.href}>{props.back.label}</a>
            </p>
          )
          : <p class="fineprint">You can close this window and start again from the app.</p>}
      </div>
    </Layout>
  );
}
