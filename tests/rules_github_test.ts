/**
 * Rules on GitHub, end to end: unmodified Octokit through the appliance's
 * proxy against the fake GitHub API under a read-only rule, rules scoped by
 * app, agent and entity, and `GET /v1/rules` showing an app its own rules.
 */
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { GITHUB_REPOS } from "./helpers/fake_apis/github.ts";
import { type Caller, type RulesEnv, rulesEnv } from "./helpers/rules_env.ts";

const READ_ONLY_ERROR = "This GitHub account is read-only for agents.";

const RULES = [
  {
    name: "read_only_github",
    target: "github.*",
    classes: ["write", "send", "delete"],
    apps: ["demo"],
    agents: ["agent-1"],
    effect: "deny",
    llm_error: READ_ONLY_ERROR,
  },
  {
    name: "bob_no_issues",
    target: "github.issues.create",
    entities: ["bob"],
    effect: "deny",
  },
  {
    name: "other_no_repo_reads",
    description: "Governs the other app only",
    target: "github.repos.get",
    apps: ["other"],
    effect: "deny",
  },
];

interface OctokitError {
  status?: number;
  response?: {
    data?: { error?: { code?: string; llmError?: string; details?: { rule?: string } } };
  };
}

function octokitFor(env: RulesEnv, caller?: Caller): Octokit {
  const quiet = () => {};
  const octokit = new Octokit({
    baseUrl: env.proxy("github"),
    request: { retries: 0 },
    // Refusals are expected here; Octokit would log each one.
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
  const headers = env.headers(caller);
  octokit.hook.before("request", (options) => {
    Object.assign(options.headers, headers);
  });
  return octokit;
}

function deniedBy(rule: string, llmError?: string) {
  return (error: OctokitError) => {
    assert.equal(error.status, 403);
    const body = error.response?.data?.error;
    assert.equal(body?.code, "SX-POLICY-DENIED");
    assert.equal(body?.details?.rule, rule);
    if (llmError) assert.equal(body?.llmError, llmError);
    return true;
  };
}

const [OWNER, REPO] = GITHUB_REPOS.HELLO_WORLD.split("/");

async function withEnv(run: (env: RulesEnv) => Promise<void>) {
  const env = await rulesEnv({
    rules: RULES,
    apps: [
      { name: "demo", agents: ["agent-1", "mail-agent"] },
      { name: "other", agents: ["agent-9"] },
    ],
    entities: ["alice", "bob"],
  });
  try {
    await run(env);
  } finally {
    await env.close();
  }
}

Deno.test("rules/github: Octokit under read-only reads a repository and is refused on delete and issue create", async () => {
  await withEnv(async (env) => {
    const octokit = octokitFor(env);
    const mark = await env.mark();
    const repo = await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    assert.equal(repo.status, 200);
    assert.equal(repo.data.full_name, GITHUB_REPOS.HELLO_WORLD);

    const reads = env.credentialReads();
    const seen = env.fake.seenBy("github").length;
    await assert.rejects(
      octokit.rest.repos.delete({ owner: OWNER, repo: REPO }),
      deniedBy("read_only_github", READ_ONLY_ERROR),
    );
    await assert.rejects(
      octokit.rest.issues.create({ owner: OWNER, repo: REPO, title: "From the agent" }),
      deniedBy("read_only_github", READ_ONLY_ERROR),
    );
    await assert.rejects(
      octokit.rest.repos.update({ owner: OWNER, repo: REPO, description: "changed" }),
      deniedBy("read_only_github"),
    );
    assert.equal(env.fake.seenBy("github").length, seen, "no refused call reached GitHub");
    assert.equal(env.credentialReads(), reads, "no credential read for refused calls");
    assert.deepEqual(env.fake.state.github.deletedRepos, []);
    assert.deepEqual(env.fake.state.github.createdIssues, []);

    // Reads still work after refusals.
    const issues = await octokit.rest.issues.listForRepo({ owner: OWNER, repo: REPO });
    assert.ok(issues.data.length > 0);

    const records = await env.audit(mark, "proxy.request");
    assert.deepEqual(
      records.map((r) => [r.data.operation, r.data.class, r.data.decision, r.data.status]),
      [
        ["github.repos.get", "read", "allowed", 200],
        ["github.repos.delete", "delete", "denied", 403],
        ["github.issues.create", "write", "denied", 403],
        ["github.repos.update", "write", "denied", 403],
        ["github.issues.listForRepo", "read", "allowed", 200],
      ],
    );
  });
});

Deno.test("rules/github: apps, agents and entities scope a rule; the same call passes for others", async () => {
  await withEnv(async (env) => {
    const create = (caller: Caller, title: string) =>
      octokitFor(env, caller).rest.issues.create({ owner: OWNER, repo: REPO, title });

    // agents: read_only_github names agent-1 only.
    const byMailAgent = await create({ agent: "mail-agent" }, "Filed by mail-agent");
    assert.equal(byMailAgent.status, 201);
    // entities: bob_no_issues governs bob, whatever the agent.
    await assert.rejects(
      create({ agent: "mail-agent", entity: "bob" }, "x"),
      deniedBy("bob_no_issues"),
    );
    // apps: the other app is not read-only, but bob is still bob there.
    const byOther = await create({ app: "other", agent: "agent-9" }, "Filed by the other app");
    assert.equal(byOther.status, 201);
    await assert.rejects(
      create({ app: "other", agent: "agent-9", entity: "bob" }, "x"),
      deniedBy("bob_no_issues"),
    );
    assert.deepEqual(
      env.fake.state.github.createdIssues.map((c) => c.issue.title),
      ["Filed by mail-agent", "Filed by the other app"],
    );

    // A rule for the other app does not touch demo's reads.
    const read = await octokitFor(env).rest.repos.get({ owner: OWNER, repo: REPO });
    assert.equal(read.status, 200);
    await assert.rejects(
      octokitFor(env, { app: "other", agent: "agent-9" }).rest.repos.get({
        owner: OWNER,
        repo: REPO,
      }),
      deniedBy("other_no_repo_reads"),
    );
  });
});

Deno.test("rules/github: GET /v1/rules shows an app the rules that govern it, not another app's", async () => {
  await withEnv(async (env) => {
    const rulesOf = async (app: string) => {
      const res = await fetch(`${env.base}/v1/rules`, {
        headers: { "securix-api-key": env.apiKey(app) },
      });
      assert.equal(res.status, 200);
      return await res.json() as { hash: string; rules: Record<string, unknown>[] };
    };
    const demo = await rulesOf("demo");
    assert.deepEqual(demo.rules.map((r) => r.name), ["read_only_github", "bob_no_issues"]);
    const readOnly = demo.rules[0];
    assert.equal(readOnly.effect, "deny");
    assert.equal(readOnly.target, "github.*");
    assert.deepEqual(readOnly.classes, ["write", "send", "delete"]);
    assert.deepEqual(readOnly.agents, ["agent-1"]);
    assert.equal(readOnly.llmError, READ_ONLY_ERROR);
    assert.ok(!("apps" in readOnly), "which other apps a rule governs is not shown");
    assert.match(demo.hash, /^[0-9a-f]{16,}$/);

    const other = await rulesOf("other");
    assert.deepEqual(other.rules.map((r) => r.name), ["bob_no_issues", "other_no_repo_reads"]);
    assert.equal(other.hash, demo.hash);

    const anonymous = await fetch(`${env.base}/v1/rules`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
  });
});
