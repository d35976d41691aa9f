import { Layout } from "./layout.tsx";
import { AlertIcon, ShieldIcon } from "./icons.tsx";

export interface HomePageProps {
  version: string;
  /** Set for an unknown address: the path that has no page. */
  missingPath?: string;
}

/**
 * What a browser sees at `/` or at an address with no page: which product
 * this is, where its health checks are, where the docs are. Apps and
 * scripts get the JSON error instead.
 */
export function HomePage(props: HomePageProps) {
  const missing = props.missingPath !== undefined;
  return (
    <Layout title={missing ? "Page not found" : "Securix appliance"}>
      <div class="centered">
        <div class={missing ? "status-icon status-failure" : "status-icon status-info"}>
          {missing ? <AlertIcon /> : <ShieldIcon />}
        </div>
        <h1>{missing ? "Page not found" : "Securix appliance"}</h1>
        <p class="lead">
          {missing
            ? `There is no page at ${props.missingPath} on this Securix appliance.`
            : "This server brokers apps' and AI agents' access to their users' accounts. " +
              "Apps talk to its API; people only see its pages when an app asks them to connect an account."}
        </p>
      </div>
      <div class="actions">
        <a class="btn btn-secondary" href="/readyz">Readiness</a>
        <a class="btn btn-secondary" href="/healthz">Health check</a>
      </div>
      <p class="fineprint centered">
        Securix{" "}
        {props.version}. Operators: see the README shipped with the appliance, sections “HTTP
        surface” and “CLI”.
      </p>
      {missing
        ? (
          <p class="error-code centered">
            Error code <code>SX-NOT-FOUND</code>
          </p>
        )
        : null}
    </Layout>
  );
}
