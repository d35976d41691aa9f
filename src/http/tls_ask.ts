import { Hono } from "hono";

/** Where Caddy's On-Demand TLS asks whether to get a certificate for a name. */
export const TLS_ASK_PATH = "/.well-known/securix/tls-ask";

export interface TlsAskDeps {
  publicUrl: string;
  baseDomain: string;
  /** Names of the enabled providers right now. */
  providers: () => Iterable<string>;
}

/**
 * Caddy's On-Demand TLS asks here before it gets a certificate for a name:
 * 200 for the appliance's own host and `<provider>.api.<base>` of enabled
 * providers, 404 for anything else, so a stranger pointing DNS or SNI at the
 * proxy cannot make it request certificates (and burn ACME rate limits).
 */
export function tlsAskRoutes(deps: TlsAskDeps): Hono {
  const app = new Hono();
  const publicHost = new URL(deps.publicUrl).hostname.toLowerCase();
  const suffix = `.api.${deps.baseDomain.toLowerCase()}`;
  app.get(TLS_ASK_PATH, (c) => {
    const domain = (c.req.query("domain") ?? "").toLowerCase().replace(/\.$/, "");
    const provider = domain.endsWith(suffix) ? domain.slice(0, -suffix.length) : null;
    const allowed = domain === publicHost ||
      (provider !== null && [...deps.providers()].includes(provider));
    return allowed ? c.text("ok") : c.text("not a host of this appliance", 404);
  });
  return app;
}
