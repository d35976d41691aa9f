/** Rule files the benchmarks load. */

/**
 * A realistic rule file of 50 rules, none of which concerns the benchmarked
 * call (bench-agent's GET /repos/o/r, github.repos.get): other providers,
 * other classes, other agents, other apps, and 10 github rules among them,
 * so the call's own provider bucket is not empty.
 */
export function fiftyRules(): Record<string, unknown>[] {
  const rules: Record<string, unknown>[] = [];
  const google = ["gmail", "drive", "calendar"];
  for (let i = 0; i < 15; i++) {
    rules.push({
      name: `google_${i}`,
      target: `${google[i % 3]}.*`,
      classes: ["send", "delete"],
      effect: "deny",
      llm_error: "Not allowed.",
    });
  }
  for (let i = 0; i < 10; i++) {
    rules.push({
      name: `slack_${i}`,
      target: "slack.chat.*",
      agents: [`agent-${i}`],
      effect: "deny",
    });
  }
  for (let i = 0; i < 10; i++) {
    rules.push({
      name: `github_${i}`,
      target: i % 2 ? "github.repos.delete" : "github.issues.*",
      classes: i % 2 ? undefined : ["write"],
      agents: i < 5 ? undefined : ["other-agent"],
      effect: "deny",
    });
  }
  for (let i = 0; i < 10; i++) {
    rules.push({
      name: `redact_${i}`,
      target: "google.*",
      apps: [`other-app-${i}`],
      effect: "redact",
      patterns: ["ssn", "credit_card"],
    });
  }
  for (let i = 0; i < 5; i++) {
    rules.push({ name: `hide_${i}`, target: "gmail.*", effect: "hide", labels: [`Private-${i}`] });
  }
  return rules.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}
