import { z } from "zod";
import { identityFrom, OAUTH_DEFAULTS, providerId } from "./provider_definition.ts";
import type { ProviderDefinition } from "./provider_definition.ts";

const user = z.object({
  id: providerId,
  username: z.string().min(1),
  name: z.string().nullish(),
  email: z.string().nullish(),
});

export const GITLAB_COM = "https://gitlab.com";

/**
 * GitLab.com, or a self-managed GitLab at `base_url`: every endpoint hangs off
 * the instance URL, so one base rebuilds them all. The proxy host maps to the
 * instance root because the official clients append `/api/v4` themselves.
 */
export function gitlabAt(baseUrl: string): ProviderDefinition {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    name: "gitlab",
    family: "gitlab",
    // A Rails app: Rack::MethodOverride reads `_method` in a POST's form body.
    methodOverrideField: "_method",
    // Projects by path (`projects/group%2Fproject`) and repository files
    // (`files/src%2Fa.rb/raw`) exist only with the slash encoded.
    encodedSlashes: true,
    displayName: base === GITLAB_COM ? "GitLab" : `GitLab (${new URL(base).host})`,
    strategy: "oauth2",
    oauth: {
      ...OAUTH_DEFAULTS,
      authorizationUrl: `${base}/oauth/authorize`,
      tokenUrl: `${base}/oauth/token`,
      revocation: { style: "rfc7009", url: `${base}/oauth/revoke` },
    },
    identity: {
      url: `${base}/api/v4/user`,
      method: "GET",
      jsonBody: null,
      parse: identityFrom(user, (u) => ({
        id: u.id,
        email: u.email ?? null,
        name: u.name ?? u.username,
      })),
    },
    apis: [{ host: "gitlab", baseUrl: base }],
    injection: { kind: "bearer" },
    defaultHeaders: {},
    defaultScopes: ["read_user", "read_api"],
    selfManaged: gitlabAt,
  };
}

export const gitlab = gitlabAt(GITLAB_COM);
