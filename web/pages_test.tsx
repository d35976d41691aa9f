import assert from "node:assert/strict";
import { ConsentPage, type ConsentPageProps } from "./consent_page.tsx";
import { DevicePage } from "./device_page.tsx";
import { ErrorPage } from "./error_page.tsx";
import { ResultPage } from "./result_page.tsx";
import { UnverifiedPage } from "./unverified_page.tsx";
import { ASSET_URLS } from "./assets.ts";

const EVIL = `<img src=x onerror=alert(1)>`;
const NOW = Date.parse("2030-01-01T12:00:00Z");

const consentProps = (over: Partial<ConsentPageProps> = {}): ConsentPageProps => ({
  appName: "Acme Mail Assistant",
  appOrigin: "https://app.acme.test",
  providers: [{
    name: "gmail",
    displayName: "Gmail",
    scopes: [{
      scope: "https://www.googleapis.com/auth/gmail.readonly",
      description: "Read email",
    }],
    connectedAccount: null,
    status: "pending",
  }],
  csrfToken: "csrf-token-123",
  formAction: "/connect/ses_1",
  flow: "popup",
  expiresAt: new Date(NOW + 9.5 * 60_000).toISOString(),
  now: NOW,
  ...over,
});

/** Every page must hold to the page CSP: no inline script bodies, no style attributes. */
function assertCspClean(html: string) {
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    assert.match(m[1], /\bsrc="\/assets\//, `script without a same-origin src: ${m[0]}`);
    assert.equal(m[2].trim(), "", `inline script body: ${m[0]}`);
  }
  assert.doesNotMatch(html, /\sstyle\s*=/i, "style attribute");
  assert.doesNotMatch(html, /<style\b/i, "style element");
  for (const [tag] of html.matchAll(/<[a-z][^>]*>/gi)) {
    assert.doesNotMatch(tag, /\son[a-z]+\s*=/i, `inline event handler: ${tag}`);
    assert.doesNotMatch(tag, /\s(src|href)="(https?:)?\/\//i, `external asset: ${tag}`);
  }
  assert.doesNotMatch(html, /javascript:/i);
}

const render = (node: unknown) => String(node);

Deno.test("consent page shows who asks, what for, and posts with a CSRF field", () => {
  const html = render(<ConsentPage {...consentProps()} />);
  assertCspClean(html);
  assert.match(html, /^<html lang="en">/);
  assert.match(html, /<strong>Acme Mail Assistant<\/strong> wants access to your Gmail account/);
  assert.match(html, /app\.acme\.test/);
  assert.match(html, /Read email/);
  assert.match(html, /gmail\.readonly/);
  assert.match(html, /<input type="hidden" name="csrf" value="csrf-token-123"/);
  assert.match(html, /<form method="post" action="\/connect\/ses_1\/continue"/);
  assert.match(html, /formaction="\/connect\/ses_1\/cancel"/);
  assert.match(html, />Continue to Gmail</);
  assert.match(html, />\s*Cancel\s*</);
  assert.match(html, /expires in 10 minutes/);
  assert.match(html, new RegExp(`href="${ASSET_URLS.stylesCss.replaceAll(".", "\\.")}"`));
});

Deno.test("consent page escapes a hostile app name, account and scope", () => {
  const html = render(
    <ConsentPage
      {...consentProps({
        appName: EVIL,
        appOrigin: "https://evil.test",
        providers: [{
          name: "gmail",
          displayName: `Gmail"><script>alert(2)</script>`,
          scopes: [{ scope: `"><svg onload=alert(3)>` }],
          connectedAccount: `<b>me</b>@x.test`,
          status: "pending",
        }],
        csrfToken: `"><script>alert(4)</script>`,
      })}
    />,
  );
  assertCspClean(html);
  assert.ok(!html.includes("<img src=x"), "raw img tag");
  assert.ok(!html.includes("<script>alert"), "raw script tag");
  assert.ok(!html.includes("<svg onload"), "raw svg tag");
  assert.ok(!html.includes("<b>me</b>"), "raw account markup");
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(html, /value="&quot;&gt;&lt;script&gt;alert\(4\)&lt;\/script&gt;"/);
});

Deno.test("consent page: device warning, connected accounts, next provider, expiry", () => {
  const html = render(
    <ConsentPage
      {...consentProps({
        flow: "device",
        providers: [
          {
            name: "gmail",
            displayName: "Gmail",
            scopes: [],
            connectedAccount: "ada@example.com",
            status: "connected",
          },
          { name: "github", displayName: "GitHub", scopes: [{ scope: "repo" }], status: "pending" },
        ],
        expiresAt: new Date(NOW - 1000).toISOString(),
      })}
    />,
  );
  assertCspClean(html);
  assert.match(html, /started on another device/);
  assert.match(html, /your Gmail and GitHub accounts/);
  assert.match(html, /Signed in as ada@example\.com/);
  assert.match(html, />Continue to GitHub</);
  assert.match(html, /standard access set up by your administrator/);
  assert.match(html, /has expired/);
  const popup = render(<ConsentPage {...consentProps()} />);
  assert.doesNotMatch(popup, /started on another device/);
});

Deno.test("device page: one code input with the right hints, CSRF, error area", () => {
  const html = render(<DevicePage csrfToken="tok" formAction="/device" prefill="ABCD-1234" />);
  assertCspClean(html);
  const input = html.match(/<input id="code"[^>]*>/)?.[0] ?? "";
  for (
    const attr of [
      'name="code"',
      'autocomplete="off"',
      'autocapitalize="characters"',
      'inputmode="text"',
      'placeholder="ABCD-1234"',
      'value="ABCD-1234"',
      'aria-describedby="code-help"',
    ]
  ) assert.ok(input.includes(attr), `${attr} in ${input}`);
  assert.match(html, /<label class="label" for="code">/);
  assert.match(html, /<input type="hidden" name="csrf" value="tok"/);
  assert.match(html, /<form method="post" action="\/device"/);
  assert.doesNotMatch(html, /role="alert"/);

  const failed = render(
    <DevicePage
      csrfToken="tok"
      formAction="/device"
      error={`Wrong code ${EVIL}`}
      attemptsLeft={2}
    />,
  );
  assertCspClean(failed);
  assert.match(failed, /aria-invalid="true"/);
  assert.match(failed, /aria-describedby="code-error code-help"/);
  assert.match(failed, /role="alert"[^>]*>[\s\S]*Wrong code &lt;img[\s\S]*2 attempts left\./);
  const last = render(
    <DevicePage csrfToken="t" formAction="/device" error="Wrong code" attemptsLeft={1} />,
  );
  assert.match(last, /1 attempt left\./);
});

Deno.test("result page as popup done page: data attributes and the external script only", () => {
  const html = render(
    <ResultPage
      title="All set"
      message="You're connected."
      status="success"
      sessionId="ses_1"
      targetOrigin="https://app.acme.test"
    />,
  );
  assertCspClean(html);
  assert.ok(html.includes(`<script src="${ASSET_URLS.popupResultJs}" defer></script>`));
  assert.match(html, /id="securix-result"/);
  assert.match(html, /data-session-id="ses_1"/);
  assert.match(html, /data-status="completed"/);
  assert.match(html, /data-target-origin="https:\/\/app\.acme\.test"/);
  assert.match(html, /<p class="close-hint" data-close-hint="true" hidden="">/);
});

Deno.test("result page without a target origin (device flow) loads no script", () => {
  const html = render(
    <ResultPage
      title="Not connected"
      message={EVIL}
      status="failure"
      sessionId="ses_2"
      reason="access_denied"
    />,
  );
  assertCspClean(html);
  assert.doesNotMatch(html, /<script/);
  assert.doesNotMatch(html, /data-target-origin/);
  assert.match(html, /data-status="failed"/);
  assert.match(html, /data-reason="access_denied"/);
  assert.match(html, /&lt;img src=x/);
  // A target that is not a bare origin never reaches the page.
  const bad = render(
    <ResultPage title="t" message="m" status="success" sessionId="s" targetOrigin="*" />,
  );
  assert.doesNotMatch(bad, /<script/);
  assert.doesNotMatch(bad, /data-target-origin/);
});

Deno.test("error page shows title, message and code, escaped", () => {
  const html = render(<ErrorPage title={EVIL} message="This link has expired." code="SX-X" />);
  assertCspClean(html);
  assert.match(html, /<title>&lt;img src=x onerror=alert\(1\)&gt; · Securix<\/title>/);
  assert.match(html, /This link has expired\./);
  assert.match(html, /Error code <code>SX-X<\/code>/);
  assert.doesNotMatch(render(<ErrorPage title="t" message="m" />), /Error code/);
});

Deno.test("popup consent page with the opener check: external script, Continue disabled until it answers", () => {
  const html = render(
    <ConsentPage
      {...consentProps({
        openerCheck: {
          sessionId: "ses_1",
          nonce: "n.o.nce",
          origins: ["https://app.acme.test", "https://b.acme.test"],
          warningUrl: "/connect/ses_1/unverified",
        },
      })}
    />,
  );
  assertCspClean(html);
  assert.ok(html.includes(`<script src="${ASSET_URLS.consentBindingJs}" defer></script>`));
  assert.match(html, /data-consent-continue="true" disabled>Continue to Gmail</);
  assert.match(html, /<input type="hidden" name="nonce" value="n\.o\.nce"/);
  assert.match(html, /data-nonce="n\.o\.nce"/);
  assert.match(html, /data-warning-url="\/connect\/ses_1\/unverified"/);
  assert.ok(html.includes('data-origins="[&quot;https://app.acme.test&quot;,'));
  assert.doesNotMatch(html, /<img src=x/);

  const plain = render(<ConsentPage {...consentProps()} />);
  assert.doesNotMatch(plain, /consent_binding|data-nonce|disabled>/);
});

Deno.test("warning page: names the app and where to start instead, offers no way on, escaped", () => {
  const html = render(
    <UnverifiedPage
      appName={EVIL}
      appOrigins={["https://app.acme.test"]}
      code="SX-OPENER-UNVERIFIED"
    />,
  );
  assertCspClean(html);
  assert.doesNotMatch(html, /<img src=x/);
  assert.match(html, /This link was not opened by &lt;img/);
  assert.match(html, /If someone sent you this link, close this page/);
  assert.match(html, /<strong>app\.acme\.test<\/strong>/);
  assert.match(html, /SX-OPENER-UNVERIFIED/);
  assert.doesNotMatch(html, /<form|<a [^>]*href="http/);
});
