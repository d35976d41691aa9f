/**
 * A fake GitHub REST API (api.github.com): the authenticated user, repositories
 * (get, update, delete, list) and issues (list, get, create), answering with
 * GitHub's JSON, its `x-github-*` and `x-ratelimit-*` headers, `Link` paging,
 * and its `{message, documentation_url, status}` errors. Accepts the token as
 * `Bearer` (what the appliance injects) or `token` (what Octokit sends).
 */
import { bodyJson, type FakeCall, type FakeProvider } from "./dispatcher.ts";

export interface GithubRepo {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  description: string;
  language: string | null;
  defaultBranch: string;
  topics: string[];
  createdAt: string;
}

export interface GithubIssue {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  labels: string[];
  createdAt: string;
}

export interface GithubState {
  user: { login: string; id: number; name: string; email: string };
  /** Keyed `owner/name`, lower-case. */
  repos: Map<string, GithubRepo>;
  /** Keyed like `repos`. */
  issues: Map<string, GithubIssue[]>;
  /** `owner/name` of every repository `DELETE /repos/…` removed. */
  deletedRepos: string[];
  /** Issues `POST …/issues` created, with their repository. */
  createdIssues: { repo: string; issue: GithubIssue }[];
  remaining: number;
}

export const GITHUB_REPOS = {
  /** Public, organization-owned, two issues (one with an email and a phone number). */
  HELLO_WORLD: "octo-org/hello-world",
  /** Private, organization-owned. */
  PAYROLL: "octo-org/payroll",
  /** Public, user-owned. */
  DOTFILES: "alice/dotfiles",
};

export function createGithubState(): GithubState {
  const repo = (id: number, full: string, extra: Partial<GithubRepo>): [string, GithubRepo] => {
    const [owner, name] = full.split("/");
    return [full.toLowerCase(), {
      id,
      owner,
      name,
      private: false,
      description: "",
      language: "TypeScript",
      defaultBranch: "main",
      topics: [],
      createdAt: "2021-03-04T10:15:30Z",
      ...extra,
    }];
  };
  return {
    user: { login: "alice", id: 583231, name: "Alice Martin", email: "alice@acme.com" },
    repos: new Map([
      repo(1296269, GITHUB_REPOS.HELLO_WORLD, {
        description: "This your first repo!",
        topics: ["octocat", "api"],
      }),
      repo(1296270, GITHUB_REPOS.PAYROLL, {
        private: true,
        description: "Payroll exports",
        language: "Python",
      }),
      repo(70981234, GITHUB_REPOS.DOTFILES, { description: "My dotfiles", language: "Shell" }),
    ]),
    issues: new Map([[GITHUB_REPOS.HELLO_WORLD, [
      {
        number: 1,
        id: 1001,
        title: "Found a bug",
        body: "I'm having a problem with this.",
        state: "open",
        labels: ["bug"],
        createdAt: "2024-04-22T13:33:48Z",
      },
      {
        number: 2,
        id: 1002,
        title: "Customer escalation",
        body: "Customer bob.stone@example.com called from +1 415-555-0132 about the outage.",
        state: "open",
        labels: [],
        createdAt: "2024-04-23T09:12:00Z",
      },
    ]]]),
    deletedRepos: [],
    createdIssues: [],
    remaining: 5000,
  };
}

const PREFIXES = ["/repos/", "/user", "/users/", "/orgs/", "/rate_limit"];
const DOCS = "https://docs.github.com/rest";

function githubHeaders(state: GithubState): Headers {
  state.remaining = Math.max(state.remaining - 1, 0);
  return new Headers({
    "content-type": "application/json; charset=utf-8",
    "cache-control": "private, max-age=60, s-maxage=60",
    "vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
    "x-github-media-type": "github.v3; format=json",
    "x-github-api-version-selected": "2022-11-28",
    "x-github-request-id": `C0DE:1F2E:${
      (5000 - state.remaining).toString(16).toUpperCase()
    }:6651A2B3`,
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": String(state.remaining),
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
    "x-ratelimit-used": String(5000 - state.remaining),
    "x-ratelimit-resource": "core",
    "x-oauth-scopes": "repo, read:user",
    "x-accepted-oauth-scopes": "repo",
    "x-content-type-options": "nosniff",
    "x-frame-options": "deny",
  });
}

function answer(
  state: GithubState,
  body: unknown,
  status = 200,
  extra: Record<string, string> = {},
) {
  const headers = githubHeaders(state);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  if (body === null) {
    headers.delete("content-type");
    return new Response(null, { status, headers });
  }
  return new Response(JSON.stringify(body), { status, headers });
}

function error(state: GithubState, status: number, message: string, docs = DOCS, extra = {}) {
  return answer(
    state,
    { message, documentation_url: docs, status: String(status), ...extra },
    status,
  );
}

function userJson(origin: string, login: string, id: number, type: "User" | "Organization") {
  const url = `${origin}/${type === "User" ? "users" : "orgs"}/${login}`;
  return {
    login,
    id,
    node_id: btoa(`04:${type}${id}`),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url,
    html_url: `https://github.com/${login}`,
    followers_url: `${url}/followers`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    type,
    user_view_type: "public",
    site_admin: false,
  };
}

function ownerJson(state: GithubState, origin: string, login: string) {
  const isUser = login.toLowerCase() === state.user.login;
  return userJson(origin, login, isUser ? state.user.id : 9919, isUser ? "User" : "Organization");
}

function repoJson(state: GithubState, origin: string, r: GithubRepo) {
  const full = `${r.owner}/${r.name}`;
  const url = `${origin}/repos/${full}`;
  const openIssues =
    (state.issues.get(full.toLowerCase()) ?? []).filter((i) => i.state === "open").length;
  const owner = ownerJson(state, origin, r.owner);
  return {
    id: r.id,
    node_id: btoa(`010:Repository${r.id}`),
    name: r.name,
    full_name: full,
    private: r.private,
    owner,
    html_url: `https://github.com/${full}`,
    description: r.description,
    fork: false,
    url,
    forks_url: `${url}/forks`,
    issues_url: `${url}/issues{/number}`,
    pulls_url: `${url}/pulls{/number}`,
    contents_url: `${url}/contents/{+path}`,
    created_at: r.createdAt,
    updated_at: "2024-05-01T12:00:00Z",
    pushed_at: "2024-05-02T08:45:10Z",
    git_url: `git://github.com/${full}.git`,
    ssh_url: `git@github.com:${full}.git`,
    clone_url: `https://github.com/${full}.git`,
    svn_url: `https://github.com/${full}`,
    homepage: null,
    size: 108,
    stargazers_count: 80,
    watchers_count: 80,
    language: r.language,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 9,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: openIssues,
    license: {
      key: "mit",
      name: "MIT License",
      spdx_id: "MIT",
      url: `${origin}/licenses/mit`,
      node_id: "MDc6TGljZW5zZTEz",
    },
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: r.topics,
    visibility: r.private ? "private" : "public",
    forks: 9,
    open_issues: openIssues,
    watchers: 80,
    default_branch: r.defaultBranch,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    network_count: 9,
    subscribers_count: 42,
    ...(owner.type === "Organization" ? { organization: owner } : {}),
  };
}

function issueJson(state: GithubState, origin: string, repo: GithubRepo, i: GithubIssue) {
  const full = `${repo.owner}/${repo.name}`;
  const url = `${origin}/repos/${full}/issues/${i.number}`;
  return {
    url,
    repository_url: `${origin}/repos/${full}`,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    html_url: `https://github.com/${full}/issues/${i.number}`,
    id: i.id,
    node_id: btoa(`05:Issue${i.id}`),
    number: i.number,
    title: i.title,
    user: userJson(origin, state.user.login, state.user.id, "User"),
    labels: i.labels.map((name, n) => ({
      id: 208045946 + n,
      node_id: btoa(`05:Label${n}`),
      url: `${origin}/repos/${full}/labels/${name}`,
      name,
      color: "f29513",
      default: name === "bug",
      description: null,
    })),
    state: i.state,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: 0,
    created_at: i.createdAt,
    updated_at: i.createdAt,
    closed_at: null,
    author_association: "OWNER",
    active_lock_reason: null,
    body: i.body,
    reactions: { url: `${url}/reactions`, total_count: 0, "+1": 0, "-1": 0 },
    state_reason: null,
  };
}

/** GitHub's `Link` header for page/per_page paging. */
function paged<T>(items: T[], call: FakeCall): { items: T[]; link?: string } {
  const perPage = Math.min(Math.max(Number(call.query.get("per_page") ?? "30") || 30, 1), 100);
  const pageNo = Math.max(Number(call.query.get("page") ?? "1") || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const at = (n: number) => {
    const u = new URL(call.url);
    u.searchParams.set("per_page", String(perPage));
    u.searchParams.set("page", String(n));
    return u.toString();
  };
  const rels = [];
  if (pageNo < last) rels.push(`<${at(pageNo + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`);
  if (pageNo > 1) rels.push(`<${at(1)}>; rel="first"`, `<${at(pageNo - 1)}>; rel="prev"`);
  return {
    items: items.slice((pageNo - 1) * perPage, pageNo * perPage),
    ...(rels.length ? { link: rels.join(", ") } : {}),
  };
}

function route(state: GithubState, call: FakeCall): Response {
  const origin = call.url.origin;
  const method = call.method;
  const segments = call.path.split("/").slice(1).map(decodeURIComponent);
  if (call.path === "/user" && method === "GET") {
    return answer(state, {
      ...userJson(origin, state.user.login, state.user.id, "User"),
      name: state.user.name,
      company: "@acme",
      blog: "",
      location: "Berlin",
      email: state.user.email,
      hireable: null,
      bio: null,
      public_repos: 1,
      followers: 12,
      following: 3,
      created_at: "2012-01-02T03:04:05Z",
      updated_at: "2024-05-01T00:00:00Z",
      private_gists: 0,
      total_private_repos: 1,
      owned_private_repos: 0,
      two_factor_authentication: true,
      plan: { name: "free", space: 976562499, collaborators: 0, private_repos: 10000 },
    });
  }
  if (call.path === "/user/repos" && method === "GET") {
    const { items, link } = paged([...state.repos.values()], call);
    return answer(state, items.map((r) => repoJson(state, origin, r)), 200, link ? { link } : {});
  }
  if (call.path === "/rate_limit" && method === "GET") {
    const core = {
      limit: 5000,
      used: 5000 - state.remaining,
      remaining: state.remaining,
      reset: 0,
    };
    return answer(state, { resources: { core }, rate: core });
  }
  if (segments[0] !== "repos" || segments.length < 3) return error(state, 404, "Not Found");
  const key = `${segments[1]}/${segments[2]}`.toLowerCase();
  const repo = state.repos.get(key);
  if (!repo) return error(state, 404, "Not Found", `${DOCS}/repos/repos#get-a-repository`);
  if (segments.length === 3) {
    if (method === "GET") return answer(state, repoJson(state, origin, repo));
    if (method === "PATCH") {
      const body = (bodyJson(call) ?? {}) as Partial<
        { description: string; private: boolean; name: string }
      >;
      if (body.description !== undefined) repo.description = body.description;
      if (body.private !== undefined) repo.private = body.private;
      return answer(state, repoJson(state, origin, repo));
    }
    if (method === "DELETE") {
      state.repos.delete(key);
      state.issues.delete(key);
      state.deletedRepos.push(`${repo.owner}/${repo.name}`);
      return answer(state, null, 204);
    }
    return error(state, 404, "Not Found");
  }
  if (segments[3] !== "issues") return error(state, 404, "Not Found");
  const issues = state.issues.get(key) ?? [];
  if (segments.length === 4 && method === "GET") {
    const wanted = call.query.get("state") ?? "open";
    const chosen = issues.filter((i) => wanted === "all" || i.state === wanted).reverse();
    const { items, link } = paged(chosen, call);
    return answer(
      state,
      items.map((i) => issueJson(state, origin, repo, i)),
      200,
      link ? { link } : {},
    );
  }
  if (segments.length === 4 && method === "POST") {
    const body = (bodyJson(call) ?? {}) as { title?: unknown; body?: unknown; labels?: unknown };
    if (typeof body.title !== "string" && typeof body.title !== "number") {
      return error(
        state,
        422,
        'Invalid request.\n\n"title" wasn\'t supplied.',
        `${DOCS}/issues/issues#create-an-issue`,
      );
    }
    const issue: GithubIssue = {
      number: issues.length + 1,
      id: 2000 + state.createdIssues.length,
      title: String(body.title),
      body: typeof body.body === "string" ? body.body : null,
      state: "open",
      labels: Array.isArray(body.labels) ? body.labels.map(String) : [],
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    };
    state.issues.set(key, [...issues, issue]);
    state.createdIssues.push({ repo: `${repo.owner}/${repo.name}`, issue });
    const json = issueJson(state, origin, repo, issue);
    return answer(state, json, 201, { location: json.url });
  }
  if (segments.length === 5 && method === "GET") {
    const issue = issues.find((i) => String(i.number) === segments[4]);
    return issue
      ? answer(state, issueJson(state, origin, repo, issue))
      : error(state, 404, "Not Found", `${DOCS}/issues/issues#get-an-issue`);
  }
  return error(state, 404, "Not Found");
}

/** `Authorization: Bearer X` or `Authorization: token X`. */
function githubToken(call: FakeCall): string | null {
  const match = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(call.headers.get("authorization") ?? "");
  return match ? match[1] : null;
}

export function githubFake(state: GithubState): FakeProvider {
  return {
    name: "github",
    serves: (path) => PREFIXES.some((p) => path === p.replace(/\/$/, "") || path.startsWith(p)),
    tokenOf: githubToken,
    unauthorized: () => error(state, 401, "Bad credentials"),
    handle: (call) => route(state, call),
  };
}
