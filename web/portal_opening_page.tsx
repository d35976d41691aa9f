import { Layout } from "./layout.tsx";
import { ShieldIcon } from "./icons.tsx";

/** Between a portal link and the portal: moves on by itself, or with one click. */
export function PortalOpeningPage(props: { next: string }) {
  return (
    <Layout title="Opening your accounts" refresh={props.next}>
      <div class="centered">
        <div class="status-icon status-info">
          <ShieldIcon />
        </div>
        <h1>Opening your accounts</h1>
        <p class="lead">One moment…</p>
        <p>
          <a class="btn btn-primary" href={props.next}>Continue</a>
        </p>
      </div>
    </Layout>
  );
}
