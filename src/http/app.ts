import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Appliance } from "./appliance.ts";
import { errorResponse, notFound, onError } from "./error_envelope.ts";
import { healthRoutes } from "./health.ts";
import { securityHeaders } from "./security_headers.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { SecurixError } from "../errors/securix_error.ts";

export interface AppOptions {
  log?: (line: string) => void;
}

/** Assembles the appliance's HTTP surface. */
export function createApp(appliance: Appliance, options: AppOptions = {}): Hono {
  const log = options.log ?? ((line: string) => console.error(line));
  const { config } = appliance;
  const app = new Hono();
  app.use(securityHeaders({ https: config.server.publicUrl.startsWith("https:") }));
  app.use(bodyLimit({
    maxSize: config.server.max_body_bytes,
    onError: () =>
      errorResponse(
        new SecurixError(
          "SX-BODY-TOO-LARGE",
          `Request body is larger than ${config.server.max_body_bytes} bytes`,
          { status: 413 },
        ),
      ),
  }));
  app.route("/", healthRoutes({ client: appliance.database.client, migrations: MIGRATIONS }));
  app.onError(onError(log));
  app.notFound(notFound);
  return app;
}
