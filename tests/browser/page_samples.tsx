import { Hono } from "hono";
import { ApprovalPage } from "../../web/approval_page.tsx";
import { ConsentPage } from "../../web/consent_page.tsx";
import { DevicePage } from "../../web/device_page.tsx";
import { ErrorPage } from "../../web/error_page.tsx";
import { HomePage } from "../../web/home_page.tsx";
import { ResultPage } from "../../web/result_page.tsx";
import { UnverifiedPage } from "../../web/unverified_page.tsx";
import { assetRoutes, renderPage } from "../../web/web_routes.ts";

const NOW = Date.parse("2030-01-01T12:00:00Z");
const in10 = new Date(NOW + 10 * 60_000).toISOString();
const GOOGLE = "https://www.googleapis.com/auth";

/** Each end-user page with realistic sample data, under /pages/<name>, plus /assets. */
export const SAMPLE_PAGES: Record<string, () => Response> = {
  consent: () =>
    renderPage(
      <ConsentPage
        appName="Acme Mail Assistant"
        appOrigin="https://app.acme.com"
        providers={[{
          name: "gmail",
          displayName: "Gmail",
          scopes: [
            { scope: `${GOOGLE}/gmail.readonly`, description: "Read your email and settings" },
            { scope: `${GOOGLE}/gmail.send`, description: "Send email on your behalf" },
          ],
          connectedAccount: null,
          status: "pending",
        }]}
        csrfToken="sample-csrf"
        formAction="/connect/ses_sample"
        flow="popup"
        expiresAt={in10}
        now={NOW}
      />,
      { formActionOrigins: ["https://accounts.google.com"] },
    ),
  // An agent's link to a connection the user paused: one account only, and it stays paused.
  "consent-agent-paused": () =>
    renderPage(
      <ConsentPage
        appName="Acme Mail Assistant"
        appOrigin="https://app.acme.com"
        providers={[{
          name: "gmail",
          displayName: "Gmail",
          scopes: [{ scope: `${GOOGLE}/gmail.readonly`, description: "Read your email" }],
          connectedAccount: "ada.lovelace@example.com",
          status: "pending",
          reconnectOnly: "ada.lovelace@example.com",
          staysPaused: true,
        }]}
        csrfToken="sample-csrf"
        formAction="/connect/ses_sample"
        flow="popup"
        viaLink
        expiresAt={in10}
        now={NOW}
      />,
      { formActionOrigins: ["https://accounts.google.com"] },
    ),
  "consent-device": () =>
    renderPage(
      <ConsentPage
        appName="Support Copilot"
        appOrigin="https://copilot.example.com"
        createdAt={new Date(NOW - 3 * 60_000).toISOString()}
        providers={[
          {
            name: "gmail",
            displayName: "Gmail",
            scopes: [{ scope: `${GOOGLE}/gmail.readonly`, description: "Read your email" }],
            connectedAccount: "ada.lovelace@example.com",
            status: "connected",
          },
          {
            name: "github",
            displayName: "GitHub",
            scopes: [{ scope: "repo", description: "Read and write your repositories" }, {
              scope: "read:org",
            }],
            connectedAccount: null,
            status: "pending",
          },
        ]}
        csrfToken="sample-csrf"
        formAction="/connect/ses_sample"
        flow="device"
        expiresAt={in10}
        now={NOW}
      />,
    ),
  device: () => renderPage(<DevicePage csrfToken="sample-csrf" formAction="/device" />),
  "device-error": () =>
    renderPage(
      <DevicePage
        csrfToken="sample-csrf"
        formAction="/device"
        prefill="ABCD-1243"
        error="That code is not valid or has expired."
        attemptsLeft={3}
      />,
      { status: 400 },
    ),
  "result-success": () =>
    renderPage(
      <ResultPage
        title="All set"
        message="You're connected. This window will close and the app will finish setting up."
        status="success"
        sessionId="ses_sample"
        targetOrigin="https://app.acme.com"
      />,
    ),
  "result-failure": () =>
    renderPage(
      <ResultPage
        title="Not connected"
        message="You declined access, so nothing was connected."
        status="failure"
        sessionId="ses_01HZX4SAMPLE"
        reason="access_denied"
      />,
      { status: 400 },
    ),
  unverified: () =>
    renderPage(
      <UnverifiedPage
        appName="Acme Mail Assistant"
        appOrigins={["https://app.acme.com"]}
        code="SX-OPENER-UNVERIFIED"
      />,
      { status: 403 },
    ),
  error: () =>
    renderPage(
      <ErrorPage
        title="Opened in another browser"
        message="This sign-in was started in another browser. Finish it there, or ask the app for a new link."
        code="SX-BINDING-MISMATCH"
      />,
      { status: 403 },
    ),
  approval: () =>
    renderPage(
      <ApprovalPage
        approvalId="apr_sample0000000000"
        appName="Acme Mail Assistant"
        agentId="mail-agent"
        entityId="alice@acme.com"
        provider="gmail"
        operation="gmail.users.messages.send"
        summary='Send an email to bob@partner.com, carol@partner.com: "Q3 contract, signed copy"'
        recipients={["bob@partner.com", "carol@partner.com"]}
        subject="Q3 contract, signed copy"
        expiresAt={new Date(NOW + 60 * 60_000).toISOString()}
        csrfToken="sample-csrf"
        linkToken="sample-token"
        link="approve"
        now={NOW}
      />,
    ),
  home: () => renderPage(<HomePage version="0.1.0" />),
  "not-found": () =>
    renderPage(<HomePage version="0.1.0" missingPath="/wp-admin/setup.php" />, { status: 404 }),
};

export function samplePagesApp(): Hono {
  const app = new Hono();
  app.route("/", assetRoutes());
  for (const [name, render] of Object.entries(SAMPLE_PAGES)) app.get(`/pages/${name}`, render);
  return app;
}
