import { type Context, Hono } from "hono";
import { findApp } from "../apps/app_store.ts";
import { currentConnection } from "../connections/connection_store.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { ConsentPage } from "../../web/consent_page.tsx";
import { type CredentialField, CredentialPage } from "../../web/credential_page.tsx";
import type { CredentialSchema } from "../providers/provider_definition.ts";
import { submitCredential } from "./credential_step.ts";
import type { FlowProvider } from "./flow_provider.ts";
import { DevicePage } from "../../web/device_page.tsx";
import { ErrorPage } from "../../web/error_page.tsx";
import { ResultPage } from "../../web/result_page.tsx";
import { UnverifiedPage } from "../../web/unverified_page.tsx";
import { renderPage } from "../../web/web_routes.ts";
import { attachBindingCookie, ensureBinding, readBinding } from "./binding_cookie.ts";
import { issueChallenge, verifyChallenge, verifyConsentProof } from "./consent_proof.ts";
import { csrfToken, verifyCsrf } from "./csrf.ts";
import { DEVICE_CODE_ATTEMPTS } from "./device_code.ts";
import { DeviceCodeError, enterDeviceCode } from "./device_entry.ts";
import type { FlowDeps } from "./flow_deps.ts";
import {
  beginProviderAuth,
  type CallbackOutcome,
  handleCallback,
  nextProvider,
} from "./provider_steps.ts";
import { bindBrowser, endSession, loadSession } from "./session_store.ts";
import { keepsPaused } from "./activate_session.ts";
import { enterLink } from "../gateway/enter_link.ts";
import { gatewayReturnUrl } from "../gateway/gateway_return.ts";
import { foreignPost, type OwnPosts } from "../http/same_origin.ts";
import { findBySession } from "../gateway/gateway_store.ts";
import { type AuthSession, isOpen } from "./session_types.ts";
import {
  accountLabel,
  guardedConnection,
  identifiesAccount,
  pinnedAccount,
  type SwapRefusal,
} from "./account_swap.ts";

export interface ConsentRouteOptions {
  deps: FlowDeps;
  csrfKey: Uint8Array;
  clientAddress: (c: Context) => string;
  /** How long the popup consent page waits for its opener's proof; default 5 s. */
  openerTimeoutMs?: number;
}

const OPENER_UNVERIFIED = "SX-OPENER-UNVERIFIED";

const secureCookies = (deps: FlowDeps) => new URL(deps.publicUrl).protocol === "https:";

function errorPage(title: string, error: SecurixError | string, status = 400): Response {
  const message = typeof error === "string" ? error : error.message;
  const code = typeof error === "string" ? undefined : error.code;
  return renderPage(<ErrorPage title={title} message={message} code={code} />, { status });
}

/** The end user's pages: consent, device-code entry, the provider callback. */
export function consentRoutes(options: ConsentRouteOptions): Hono {
  const { deps, csrfKey } = options;
  const app = new Hono();
  const secure = secureCookies(deps);
  // Every end-user page is sent with Referrer-Policy: no-referrer: its own posts say Origin: null.
  const ownPosts: OwnPosts = { nullOrigin: "ours", publicOrigin: new URL(deps.publicUrl).origin };
  for (const path of ["/connect/*", "/device", "/oauth/callback"]) {
    app.use(path, attachBindingCookie);
  }

  /**
   * The result page; a gateway consent sends the browser that ran it back to
   * the app's return_url instead. Any other browser holding the page's URL
   * gets the result page: the app's return_url trusts whoever arrives.
   */
  const finish = async (c: Context, session: AuthSession): Promise<Response> => {
    const mine = session.browserBinding !== null &&
      readBinding(c, secure)?.hash === session.browserBinding;
    const back = mine ? await gatewayReturnUrl(deps.database.db, session) : null;
    if (stayedPaused(session).length > 0) return await pausedPage(session, back);
    return back ? c.redirect(back, 303) : resultPage(session);
  };

  /** Display names of the providers an agent's consent reconnected but left paused. */
  const stayedPaused = (session: AuthSession): string[] =>
    Object.entries(session.providers).filter(([, step]) => step.stayedPaused)
      .map(([name]) => deps.providers.enabled.get(name)?.displayName ?? name);

  /**
   * The done page of an agent's consent that found the connection paused: the
   * user paused it (or an operator did), so it stays paused, and the user is
   * told so and where to resume it, rather than sent straight back to the app.
   */
  const pausedPage = async (session: AuthSession, back: string | null): Promise<Response> => {
    const owner = await findApp(deps.database.db, session.appId);
    const appName = owner?.name ?? "the app";
    const names = stayedPaused(session).join(" and ");
    return renderPage(
      <ResultPage
        title="Reconnected, still paused"
        message={`Your ${names} account is reconnected, but it stays paused, as it was: ${appName}'s agents cannot use it until you resume it yourself on your privacy page for ${appName} (the Securix Trust Portal; ${appName} gives you the link).`}
        status="success"
        sessionId={session.id}
        back={back ? { href: back, label: `Back to ${appName}` } : undefined}
      />,
    );
  };

  /**
   * An agent's consent finished with another account than the connected one:
   * say so plainly, and what to do instead. The browser that ran it may go on
   * to the app's return_url, which carries the failure as it does any other.
   */
  const swapRefusedPage = async (
    c: Context,
    session: AuthSession,
    error: SecurixError,
  ): Promise<Response> => {
    const owner = await findApp(deps.database.db, session.appId);
    const appName = owner?.name ?? "the app";
    const details = error.details as unknown as SwapRefusal & { provider: string };
    const providerName = deps.providers.enabled.get(details.provider)?.displayName ??
      details.provider;
    const kept = accountLabel(details.kept) ??
      `the ${providerName} account ${details.revoked ? "connected before" : "already connected"}`;
    const offered = accountLabel(details.offered);
    const unchanged = details.revoked
      ? `Nothing was connected: your ${providerName} connection to ${appName} stays disconnected.`
      : `Nothing was changed: ${kept} stays connected to ${appName}.`;
    const mine = session.browserBinding !== null &&
      readBinding(c, secure)?.hash === session.browserBinding;
    const back = mine ? await gatewayReturnUrl(deps.database.db, session) : null;
    return renderPage(
      <ErrorPage
        title="Different account"
        message={`This link can only reconnect ${kept}, ${
          offered
            ? `but you signed in as ${offered}`
            : "and nothing shows that this is the same account"
        }. ${unchanged} To connect a different ${providerName} account, use ${appName}'s own settings, not a link.`}
        code={error.code}
        back={back ? { href: back, label: `Back to ${appName}` } : undefined}
      />,
      { status: 403 },
    );
  };

  const openSessionFor = async (c: Context, id: string): Promise<AuthSession | Response> => {
    const session = await loadSession(deps.database, id, deps.now());
    if (!session) return errorPage("Link not valid", "This sign-in link does not exist.", 404);
    if (!isOpen(session) || session.status !== "pending") {
      return await finish(c, session);
    }
    const { hash } = ensureBinding(c, secure);
    // An unbound popup session is bound only once the opener proof checks out (Continue).
    if (session.browserBinding === null && session.flow === "popup") return session;
    if (session.browserBinding !== hash) {
      return errorPage(
        "Opened in another browser",
        "This sign-in was started in another browser. Finish it there, or ask the app for a new link.",
        403,
      );
    }
    return session;
  };

  // A gateway authUrl: claims its single-use link for this browser, then the usual consent page.
  app.get("/connect/link/:token", async (c) => {
    const { hash } = ensureBinding(c, secure);
    try {
      const session = await enterLink(deps, c.req.param("token"), hash);
      if (session.status !== "pending") return await finish(c, session);
      return c.redirect(`/connect/${session.id}`, 303);
    } catch (error) {
      if (error instanceof SecurixError) {
        return errorPage("Link not valid", error, error.status === 404 ? 404 : 403);
      }
      throw error;
    }
  });

  app.get("/connect/:id", async (c) => {
    const session = await openSessionFor(c, c.req.param("id"));
    if (session instanceof Response) return session;
    const { binding, hash } = ensureBinding(c, secure);
    const owner = await findApp(deps.database.db, session.appId);
    const providers = await Promise.all(
      Object.entries(session.providers).map(async ([name, step]) => {
        const provider = deps.providers.enabled.get(name);
        const current = await currentConnection(
          deps.database.db,
          session.appId,
          session.entityId,
          name,
        );
        const account = step.account ?? (current?.status === "active" ? current.account : null);
        const displayName = provider?.displayName ?? name;
        // Told before signing in, not only after: refusedSwap holds the end to the same pin.
        const pin = step.startedBy === "agent"
          ? pinnedAccount(
            step,
            await guardedConnection(deps.database.db, current, {
              appId: session.appId,
              entityId: session.entityId,
              provider: name,
            }),
            identifiesAccount(provider?.form),
          )
          : null;
        return {
          name,
          displayName,
          reconnectOnly: pin
            ? accountLabel(pin.account) ??
              `the ${displayName} account ${pin.revoked ? "connected before" : "already connected"}`
            : null,
          scopes: step.scopes.map((scope) => ({ scope })),
          connectedAccount: account ? (account.email ?? account.name ?? account.id) : null,
          // Told before, not only on the done page: the user's pause outlives an agent's reconnect.
          staysPaused: keepsPaused(step, current),
          status: step.status,
        };
      }),
    );
    // The credential form posts to the appliance itself: only OAuth providers widen form-action.
    const origins = [...deps.providers.enabled.values()].filter((p) => !p.form)
      .map((p) => p.authorizationOrigin);
    // Cancel on a gateway consent answers with a redirect to the app's return_url, which
    // Chromium checks against form-action: that origin (one of the app's) is allowed too.
    const gateway = await findBySession(deps.database.db, session.id);
    if (gateway) origins.push(new URL(gateway.returnUrl).origin);
    const unbound = session.flow === "popup" && session.browserBinding === null;
    return renderPage(
      <ConsentPage
        appName={owner?.name ?? "An app"}
        appOrigin={session.targetOrigin ?? undefined}
        providers={providers}
        csrfToken={csrfToken(csrfKey, binding, `consent:${session.id}`)}
        formAction={`/connect/${session.id}`}
        flow={session.flow}
        viaLink={gateway !== null}
        expiresAt={new Date(session.expiresAt).toISOString()}
        createdAt={new Date(session.createdAt).toISOString()}
        now={deps.now()}
        openerCheck={unbound
          ? {
            sessionId: session.id,
            nonce: issueChallenge(csrfKey, {
              sessionId: session.id,
              bindingHash: hash,
              now: deps.now(),
              random: (deps.random ?? ((b) => crypto.getRandomValues(b)))(new Uint8Array(24)),
            }),
            origins: owner?.origins ?? [],
            warningUrl: `/connect/${session.id}/unverified`,
            timeoutMs: options.openerTimeoutMs,
          }
          : undefined}
      />,
      { formActionOrigins: origins },
    );
  });

  const unverifiedPage = async (session: AuthSession): Promise<Response> => {
    const owner = await findApp(deps.database.db, session.appId);
    return renderPage(
      <UnverifiedPage
        appName={owner?.name ?? "the app"}
        appOrigins={owner?.origins ?? []}
        code={OPENER_UNVERIFIED}
      />,
      { status: 403 },
    );
  };

  // Where consent_binding.js sends a popup link that its opener did not vouch for.
  app.get("/connect/:id/unverified", async (c) => {
    const session = await loadSession(deps.database, c.req.param("id"), deps.now());
    if (!session || session.flow !== "popup") {
      return errorPage("Link not valid", "This sign-in link does not exist.", 404);
    }
    return await unverifiedPage(session);
  });

  /**
   * Binds an unbound popup session to this browser once the consent form carries a
   * valid opener proof; false when it does not (or another browser was bound first).
   */
  const bindPopup = async (
    session: AuthSession,
    form: Record<string, string>,
    bindingHash: string,
  ): Promise<boolean> => {
    const owner = await findApp(deps.database.db, session.appId);
    const nonce = form.nonce ?? "";
    const origin = form.origin ?? "";
    const proven = owner !== null && owner.origins.includes(origin) &&
      session.sxcHash !== null &&
      verifyChallenge(csrfKey, { sessionId: session.id, bindingHash, now: deps.now(), nonce }) &&
      verifyConsentProof(session.sxcHash, session.id, nonce, origin, form.proof ?? "");
    if (!proven) return false;
    if (await bindBrowser(deps.database.db, session.id, bindingHash)) return true;
    const now = await loadSession(deps.database, session.id, deps.now());
    return now?.browserBinding === bindingHash;
  };

  const checkedForm = async (
    c: Context,
    purpose: string,
  ): Promise<Record<string, string> | Response> => {
    // Another site's form is refused before its body is read, token or not (the token is
    // the second lock: a page that leaked one could otherwise post it from anywhere).
    if (foreignPost((name) => c.req.header(name), c.req.url, ownPosts)) {
      return errorPage(
        "Form refused",
        new SecurixError(
          "SX-CSRF",
          "This form was sent from another site. Go back to the page that asked for your " +
            "permission and press its button there.",
          { status: 403 },
        ),
        403,
      );
    }
    const form = await c.req.parseBody();
    const bound = readBinding(c, secure);
    const token = typeof form.csrf === "string" ? form.csrf : "";
    if (!bound || !verifyCsrf(csrfKey, bound.binding, purpose, token)) {
      return errorPage(
        "Form expired",
        "This form is no longer valid. Go back and reload the page.",
        403,
      );
    }
    return Object.fromEntries(
      Object.entries(form).filter(([, v]) => typeof v === "string"),
    ) as Record<
      string,
      string
    >;
  };

  app.post("/connect/:id/continue", async (c) => {
    const id = c.req.param("id");
    const form = await checkedForm(c, `consent:${id}`);
    if (form instanceof Response) return form;
    const session = await openSessionFor(c, id);
    if (session instanceof Response) return session;
    const name = nextProvider(session);
    const provider = name ? deps.providers.enabled.get(name) : undefined;
    if (!provider) {
      return errorPage("Provider unavailable", "This provider is no longer enabled.", 409);
    }
    const bound = readBinding(c, secure)!;
    if (session.flow === "popup" && session.browserBinding === null) {
      if (!await bindPopup(session, form, bound.hash)) return await unverifiedPage(session);
    }
    // Non-OAuth providers: the credential form takes the place of the provider's sign-in page.
    if (provider.form) return c.redirect(`/connect/${session.id}/credential`, 303);
    let url: URL;
    try {
      url = await beginProviderAuth(deps, session, provider, bound.hash);
    } catch (error) {
      if (error instanceof SecurixError && error.code === "SX-PROVIDER-UNAVAILABLE") {
        // The operator's details (issuer URL, doctor hint) are in the log, not on the user's page.
        const shown = new SecurixError(
          error.code,
          `Signing in with ${provider.displayName} is not possible right now. Try again in a few minutes.`,
        );
        return errorPage(`${provider.displayName} is unavailable`, shown, 503);
      }
      throw error;
    }
    return c.redirect(url.toString(), 303);
  });

  /**
   * The session, bound to this browser, whose next provider takes the
   * credential form; else the page to show. Binding is required outright:
   * only Continue (with the opener proof, for a popup) or the device code
   * binds a session, so the form is never the first page of a consent.
   */
  const formSessionFor = async (
    c: Context,
    id: string,
  ): Promise<{ session: AuthSession; provider: FlowProvider } | Response> => {
    const session = await openSessionFor(c, id);
    if (session instanceof Response) return session;
    const { hash } = ensureBinding(c, secure);
    if (session.browserBinding !== hash) return c.redirect(`/connect/${session.id}`, 303);
    const name = nextProvider(session);
    const provider = name ? deps.providers.enabled.get(name) : undefined;
    if (!provider?.form) return c.redirect(`/connect/${session.id}`, 303);
    return { session, provider };
  };

  const credentialPage = async (
    session: AuthSession,
    provider: FlowProvider,
    binding: string,
    shown: { values?: Record<string, string>; errors?: Record<string, string>; refusal?: string },
    status = 200,
  ): Promise<Response> => {
    const owner = await findApp(deps.database.db, session.appId);
    return renderPage(
      <CredentialPage
        appName={owner?.name ?? "An app"}
        providerName={provider.displayName}
        fields={formFields(provider.form!.schema)}
        values={shown.values}
        errors={shown.errors}
        refusal={shown.refusal}
        csrfToken={csrfToken(csrfKey, binding, `credential:${session.id}`)}
        cancelToken={csrfToken(csrfKey, binding, `consent:${session.id}`)}
        formAction={`/connect/${session.id}`}
      />,
      { status },
    );
  };

  app.get("/connect/:id/credential", async (c) => {
    const found = await formSessionFor(c, c.req.param("id"));
    if (found instanceof Response) return found;
    const { binding } = ensureBinding(c, secure);
    return await credentialPage(found.session, found.provider, binding, {});
  });

  app.post("/connect/:id/credential", async (c) => {
    const id = c.req.param("id");
    const form = await checkedForm(c, `credential:${id}`);
    if (form instanceof Response) return form;
    const found = await formSessionFor(c, id);
    if (found instanceof Response) return found;
    const { session, provider } = found;
    const bound = readBinding(c, secure)!;
    const outcome = await submitCredential(deps, session, provider, form);
    // Only what is not secret is filled back in; a refusal never repeats a value.
    const kept = keptValues(provider.form!.schema, form);
    if (outcome.kind === "invalid") {
      return await credentialPage(session, provider, bound.binding, {
        values: kept,
        errors: outcome.errors,
      }, 400);
    }
    if (outcome.kind === "refused") {
      const left = outcome.attemptsLeft;
      return await credentialPage(session, provider, bound.binding, {
        values: kept,
        refusal: `${outcome.reason}. Check the value and try again (${
          left > 0 ? `${left} attempt${left === 1 ? "" : "s"} left` : "no attempts left"
        })`,
      }, 400);
    }
    if (outcome.kind === "next") return c.redirect(`/connect/${outcome.session.id}`, 303);
    if (outcome.kind === "failed" && outcome.error) {
      return await swapRefusedPage(c, outcome.session, outcome.error);
    }
    if (stayedPaused(outcome.session).length > 0) {
      const mine = readBinding(c, secure)?.hash === outcome.session.browserBinding;
      return await pausedPage(
        outcome.session,
        mine ? await gatewayReturnUrl(deps.database.db, outcome.session) : null,
      );
    }
    return resultPage(outcome.session);
  });

  app.post("/connect/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const form = await checkedForm(c, `consent:${id}`);
    if (form instanceof Response) return form;
    const session = await openSessionFor(c, id);
    if (session instanceof Response) return session;
    // A popup no browser has proven yet is ended only by the window the app opened (its form
    // carries the opener proof, as Continue's does): anyone else who saw the link cannot fail it.
    if (session.flow === "popup" && session.browserBinding === null) {
      const { hash } = ensureBinding(c, secure);
      if (!await bindPopup(session, form, hash)) {
        return errorPage(
          "Not cancelled",
          "Only the window the app opened can cancel this sign-in. Nothing was changed; you can close this window.",
          403,
        );
      }
    }
    await endSession(deps.database, session, "failed", "user_cancelled", deps.now());
    return await finish(c, { ...session, status: "failed", reason: "user_cancelled" });
  });

  app.get("/oauth/callback", async (c) => {
    const bound = readBinding(c, secure);
    let outcome: CallbackOutcome;
    try {
      outcome = await handleCallback(deps, {
        state: c.req.query("state") ?? null,
        code: c.req.query("code") ?? null,
        error: c.req.query("error") ?? null,
      }, bound?.hash ?? null);
    } catch (error) {
      if (error instanceof SecurixError) return errorPage("Sign-in not completed", error);
      throw error;
    }
    if (outcome.kind === "next") return c.redirect(`/connect/${outcome.session.id}`, 303);
    if (outcome.kind === "failed" && outcome.error) {
      return await swapRefusedPage(c, outcome.session, outcome.error);
    }
    return await finish(c, outcome.session);
  });

  app.get("/device", (c) => {
    const { binding } = ensureBinding(c, secure);
    return renderPage(
      <DevicePage
        csrfToken={csrfToken(csrfKey, binding, "device")}
        formAction="/device"
        prefill={c.req.query("code") ?? ""}
      />,
    );
  });

  app.post("/device", async (c) => {
    const form = await checkedForm(c, "device");
    if (form instanceof Response) return form;
    const bound = readBinding(c, secure)!;
    try {
      const session = await enterDeviceCode(deps, {
        code: form.code ?? "",
        clientAddress: options.clientAddress(c),
        bindingHash: bound.hash,
      });
      return c.redirect(`/connect/${session.id}`, 303);
    } catch (error) {
      if (!(error instanceof DeviceCodeError)) throw error;
      return renderPage(
        <DevicePage
          csrfToken={csrfToken(csrfKey, bound.binding, "device")}
          formAction="/device"
          error={error.message}
          attemptsLeft={error.attemptsLeft}
        />,
        { status: error.status },
      );
    }
  });

  return app;
}

function formFields(schema: CredentialSchema): CredentialField[] {
  return Object.entries(schema.properties).map(([name, p]) => ({
    name,
    type: p.type,
    title: p.title ?? name,
    description: p.description,
    secret: p.format === "password",
    required: schema.required.includes(name),
    pattern: p.pattern,
    enum: p.enum?.map(String),
  }));
}

function keptValues(schema: CredentialSchema, form: Record<string, string>) {
  const kept: Record<string, string> = {};
  for (const [name, p] of Object.entries(schema.properties)) {
    const value = form[`field_${name}`];
    if (p.format !== "password" && value !== undefined && value.length <= 256) kept[name] = value;
  }
  return kept;
}

function resultPage(session: AuthSession): Response {
  const ok = session.status === "completed" || session.status === "awaiting_confirmation";
  const reason = session.reason ?? undefined;
  const message = ok
    ? session.flow === "device"
      ? "You're connected. You can close this page and return to your device."
      : "You're connected. This window will close and the app will finish setting up."
    : failureMessage(session.reason);
  return renderPage(
    <ResultPage
      title={ok ? "All set" : "Not connected"}
      message={message}
      status={ok ? "success" : "failure"}
      sessionId={session.id}
      targetOrigin={session.flow === "popup" ? session.targetOrigin ?? undefined : undefined}
      reason={reason}
    />,
    { status: ok ? 200 : 400 },
  );
}

function failureMessage(reason: string | null): string {
  switch (reason) {
    case "access_denied":
      return "You declined access, so nothing was connected. You can close this page.";
    case "user_cancelled":
      return "You cancelled, so nothing was connected. You can close this page.";
    case "session_expired":
      return "This sign-in link has expired. Ask the app to start again.";
    case "too_many_attempts":
      return "Too many credentials were refused, so nothing was connected. Ask the app to start again.";
    case DEVICE_CODE_ATTEMPTS.reason:
      return "Your code was entered in other browsers too many times, so it was ended and nothing was connected. Ask the app for a new code.";
    default:
      return "The connection could not be completed. Ask the app to start again.";
  }
}
