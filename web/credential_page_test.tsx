import assert from "node:assert/strict";
import { CredentialPage, type CredentialPageProps } from "./credential_page.tsx";

const EVIL = `<img src=x onerror=alert(1)>`;

const props = (over: Partial<CredentialPageProps> = {}): CredentialPageProps => ({
  appName: "Acme",
  providerName: "Freedcamp",
  fields: [
    { name: "user_key", type: "string", title: "API key", secret: true, required: true },
    { name: "team", type: "string", title: "Team", secret: false, required: false },
    {
      name: "region",
      type: "string",
      title: "Region",
      secret: false,
      required: true,
      enum: ["eu", "us"],
    },
    { name: "sandbox", type: "boolean", title: "Sandbox", secret: false, required: false },
  ],
  csrfToken: "csrf-1",
  cancelToken: "csrf-2",
  formAction: "/connect/ses_1",
  ...over,
});

Deno.test("credential page: every field type, secrets masked and never filled back in", () => {
  const html = String(
    <CredentialPage
      {...props({
        values: { user_key: "SECRET-KEY", team: EVIL, region: "us", sandbox: "true" },
        refusal: "the provider refused this credential (401 Unauthorized)",
        errors: { region: "Region must be one of the listed values." },
      })}
    />,
  );
  assert.match(
    html,
    /<input id="field_user_key" name="field_user_key" class="text-input" type="password"\s+value=""/,
  );
  assert.equal(html.includes("SECRET-KEY"), false);
  assert.equal(html.includes(EVIL), false, "values are escaped");
  assert.match(html, /<option value="us" selected>us<\/option>/);
  // The checkbox comes after its hidden "false": the form keeps the last value sent.
  assert.match(
    html,
    /name="field_sandbox" value="false".*name="field_sandbox" value="true" checked/,
  );
  assert.match(html, /data-credential-refusal/);
  assert.match(html, /action="\/connect\/ses_1\/credential"/);
  assert.match(html, /action="\/connect\/ses_1\/cancel"/);
  assert.match(html, /name="csrf" value="csrf-1"/);
  assert.match(html, /name="csrf" value="csrf-2"/);
});
