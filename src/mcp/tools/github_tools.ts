import { z } from "zod";
import { type CuratedTool, outcomeOf, pick, segment } from "./tool.ts";

const name = (what: string) =>
  z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, { message: `expected a GitHub ${what} name` });

const repoInput = z.strictObject({
  owner: name("user or organization").describe("The repository's owner (user or organization)."),
  repo: name("repository").describe("The repository's name."),
});

const listIssuesInput = z.strictObject({
  owner: name("user or organization").describe("The repository's owner."),
  repo: name("repository").describe("The repository's name."),
  state: z.enum(["open", "closed", "all"]).default("open").describe("Which issues (default open)."),
  perPage: z.number().int().min(1).max(50).default(20).describe("How many (1-50, default 20)."),
});

const createIssueInput = z.strictObject({
  owner: name("user or organization").describe("The repository's owner."),
  repo: name("repository").describe("The repository's name."),
  title: z.string().min(1).max(256).describe("The issue's title."),
  body: z.string().max(65_536).optional().describe("The issue's text (Markdown)."),
  labels: z.array(z.string().min(1).max(50)).max(20).optional().describe("Label names."),
});

const REPO_FIELDS = [
  "full_name",
  "description",
  "private",
  "visibility",
  "default_branch",
  "html_url",
  "language",
  "topics",
  "stargazers_count",
  "forks_count",
  "open_issues_count",
  "archived",
  "created_at",
  "updated_at",
  "pushed_at",
];

const ISSUE_FIELDS = [
  "number",
  "title",
  "state",
  "html_url",
  "created_at",
  "updated_at",
  "comments",
];

function issueView(issue: unknown) {
  const i = issue as { user?: { login?: string }; labels?: ({ name?: string } | string)[] };
  return {
    ...pick(issue, ISSUE_FIELDS),
    author: i.user?.login,
    labels: i.labels?.map((l) => typeof l === "string" ? l : l.name),
  };
}

const repoPath = (a: { owner: string; repo: string }) =>
  `/repos/${segment(a.owner)}/${segment(a.repo)}`;

export const GITHUB_TOOLS: CuratedTool[] = [
  {
    name: "github_get_repo",
    provider: "github",
    description:
      "Reads a GitHub repository. Returns its full name, description, visibility, default branch, URL, language, topics, star/fork/open-issue counts and dates.",
    input: repoInput,
    probe: { method: "GET", path: "/repos/o/r" },
    async run(args: z.output<typeof repoInput>, call) {
      const got = await call({ method: "GET", path: repoPath(args) });
      return outcomeOf(got, (json) => pick(json, REPO_FIELDS));
    },
  },
  {
    name: "github_list_issues",
    provider: "github",
    description:
      "Lists issues of a GitHub repository (pull requests included, as GitHub does). Returns each issue's number, title, state, author, labels, URL, dates and comment count.",
    input: listIssuesInput,
    probe: { method: "GET", path: "/repos/o/r/issues" },
    async run(args: z.output<typeof listIssuesInput>, call) {
      const got = await call({
        method: "GET",
        path: `${repoPath(args)}/issues`,
        query: { state: args.state, per_page: String(args.perPage) },
      });
      return outcomeOf(got, (json) => ({
        issues: Array.isArray(json) ? json.map(issueView) : json,
      }));
    },
  },
  {
    name: "github_create_issue",
    provider: "github",
    description:
      "Opens a new issue in a GitHub repository. Returns the issue's number, title, state and URL.",
    input: createIssueInput,
    probe: { method: "POST", path: "/repos/o/r/issues" },
    async run(args: z.output<typeof createIssueInput>, call) {
      const made = await call({
        method: "POST",
        path: `${repoPath(args)}/issues`,
        body: {
          title: args.title,
          ...(args.body !== undefined ? { body: args.body } : {}),
          ...(args.labels ? { labels: args.labels } : {}),
        },
      });
      return outcomeOf(made, issueView);
    },
  },
];
