import assert from "node:assert/strict";
import {
  canonicalPath,
  compileGlob,
  compilePathGlob,
  globCovers,
  headCompatible,
  operationGlobProblem,
  operationTargets,
} from "./target_glob.ts";

const matches = (glob: string, text: string) => compileGlob(glob).match(text);

Deno.test("glob: a literal matches only itself, case-sensitively", () => {
  assert.equal(matches("gmail.users.messages.send", "gmail.users.messages.send"), true);
  assert.equal(matches("gmail.users.messages.send", "gmail.users.messages.sendx"), false);
  assert.equal(matches("microsoft.me.sendMail", "microsoft.me.sendmail"), false);
  assert.equal(matches("gmail", "gmail.users.messages.send"), false);
});

Deno.test("glob: * spans dots, alone matches everything including empty text", () => {
  assert.equal(matches("*", ""), true);
  assert.equal(matches("*", "a.b.c"), true);
  assert.equal(matches("**", "anything"), true);
  assert.equal(matches("gmail.*", "gmail.users.messages.send"), true);
  assert.equal(matches("gmail.*", "gmail."), true);
  assert.equal(matches("gmail.*", "gmail"), false);
  assert.equal(matches("gmail.*", "gmailx.users"), false);
  assert.equal(matches("*.send", "gmail.users.messages.send"), true);
  assert.equal(matches("*.send", "gmail.users.messages.sendAs"), false);
});

Deno.test("glob: *.delete* matches delete operations anywhere", () => {
  const glob = compileGlob("*.delete*");
  assert.equal(glob.match("drive.files.delete"), true);
  assert.equal(glob.match("dropbox.files.delete_v2"), true);
  assert.equal(glob.match("github.repos.deleteFile"), true);
  assert.equal(glob.match("github.repos.get"), false);
  assert.equal(glob.match("delete.files"), false, "needs a dot before delete");
});

Deno.test("glob: middle literals are found in order without overlapping the ends", () => {
  assert.equal(matches("a*b*c", "abc"), true);
  assert.equal(matches("a*b*c", "axxbyyc"), true);
  assert.equal(matches("a*b*c", "acb"), false);
  assert.equal(matches("ab*ba", "aba"), false, "prefix and suffix must not share characters");
  assert.equal(matches("a*bc*bc", "abcbc"), true);
  assert.equal(matches("a*bc*bc", "abc"), false);
  assert.equal(matches("*x*", "x"), true);
  assert.equal(matches("*x*", "y"), false);
});

Deno.test("glob: regex metacharacters are literal", () => {
  assert.equal(matches("a.b", "axb"), false);
  assert.equal(matches("gmail.(users)", "gmail.(users)"), true);
});

Deno.test("glob: head, segment and literal length", () => {
  assert.deepEqual(
    ["gmail.*", "google.*", "*.delete*", "gm*", "gmail", "*"].map((g) => {
      const c = compileGlob(g);
      return [c.head, c.headIsSegment, c.literalLength];
    }),
    [["gmail", true, 6], ["google", true, 7], ["", false, 7], ["gm", false, 2], [
      "gmail",
      true,
      5,
    ], ["", false, 0]],
  );
});

Deno.test("headCompatible: whole segments compare exactly, partial heads by prefix", () => {
  assert.equal(headCompatible(compileGlob("gmail.*"), "gmail", "google"), true);
  assert.equal(headCompatible(compileGlob("google.*"), "gmail", "google"), true);
  assert.equal(headCompatible(compileGlob("drive.*"), "gmail", "google"), false);
  assert.equal(headCompatible(compileGlob("gm*"), "gmail", "google"), true);
  assert.equal(headCompatible(compileGlob("goo*"), "gmail", "google"), true);
  assert.equal(headCompatible(compileGlob("git*"), "gmail", "google"), false);
  assert.equal(headCompatible(compileGlob("*.send"), "gmail", "google"), true);
  assert.equal(headCompatible(compileGlob("gmai"), "gmail", "google"), false);
});

Deno.test("operationTargets: the id or its family alias; a multiplexed operation by head alone", () => {
  const concerns = (
    glob: string,
    provider: string,
    family: string,
    id: string,
    multiplexed = false,
  ) => operationTargets(provider, family, { id, multiplexed })(compileGlob(glob));
  const send = "gmail.users.messages.send";
  assert.equal(concerns("gmail.users.messages.send", "gmail", "google", send), true);
  assert.equal(concerns("google.users.messages.send", "gmail", "google", send), true, "alias");
  assert.equal(concerns("google.*", "gmail", "google", send), true);
  assert.equal(concerns("*.send", "gmail", "google", send), true);
  assert.equal(concerns("gmail.users.messages.get", "gmail", "google", send), false);
  assert.equal(concerns("drive.*", "gmail", "google", send), false);
  // A provider that is its own family has no alias; an id not under the provider none either.
  assert.equal(concerns("github.*", "github", "github", "github.repos.get"), true);
  assert.equal(concerns("google.x", "gmail", "google", "other.x"), false);
  // Only the whole first segment is the provider: "gmailx.send" is not gmail's.
  assert.equal(concerns("googlex.send", "gmail", "google", "gmailx.send"), false);
  // Multiplexed: any glob that could name an operation of the provider or family.
  const batch = "gmail.batch";
  assert.equal(concerns("gmail.users.messages.send", "gmail", "google", batch, true), true);
  assert.equal(concerns("google.users.messages.delete", "gmail", "google", batch, true), true);
  assert.equal(concerns("gm*", "gmail", "google", batch, true), true);
  assert.equal(concerns("*.delete", "gmail", "google", batch, true), true);
  assert.equal(concerns("drive.*", "gmail", "google", batch, true), false);
  assert.equal(concerns("gmail.batch", "gmail", "google", batch, false), true);
  assert.equal(concerns("gmail.users.messages.send", "gmail", "google", batch, false), false);
});

Deno.test("globCovers: sound inclusion on globs read literally", () => {
  assert.equal(globCovers(compileGlob("*"), "gmail.*"), true);
  assert.equal(globCovers(compileGlob("gmail.*"), "gmail.users.*"), true);
  assert.equal(globCovers(compileGlob("gmail.*"), "gmail.users.messages.send"), true);
  assert.equal(globCovers(compileGlob("gmail.users.*"), "gmail.*"), false);
  assert.equal(globCovers(compileGlob("*.delete*"), "*.delete"), true);
  assert.equal(globCovers(compileGlob("*.delete"), "*.delete*"), false);
});

Deno.test("operationGlobProblem: allowed characters and length", () => {
  assert.equal(operationGlobProblem("gmail.users.messages.send"), null);
  assert.equal(operationGlobProblem("dropbox.files.delete_v2"), null);
  assert.equal(operationGlobProblem("*.delete*"), null);
  assert.match(operationGlobProblem("gmail users") ?? "", /expected an operation glob/);
  assert.match(operationGlobProblem("") ?? "", /expected an operation glob/);
  assert.match(operationGlobProblem("a".repeat(201)) ?? "", /at most 200/);
  assert.match(operationGlobProblem("gmail/(.*)") ?? "", /got "gmail\/\(\.\*\)"/);
});

Deno.test("compilePathGlob: the path as sent or its canonical form (decoded, lower-cased, no empty segments)", () => {
  assert.equal(canonicalPath("/Repos//a%62c/%zz/"), "/repos/abc/%zz");
  assert.equal(canonicalPath("//"), "/");
  assert.equal(canonicalPath("/issue;x/PRJ-1;/;a"), "/issue/prj-1");
  const glob = compilePathGlob("/repos/Octo-Org/payroll*");
  for (
    const path of [
      "/repos/Octo-Org/payroll",
      "/repos/octo-org/PAYROLL/issues",
      "/repos/octo-org/%70ayroll",
      "/repos//octo-org/payroll/",
      "/repos/octo-org;x/payroll",
    ]
  ) assert.ok(glob.match(path), path);
  assert.ok(!glob.match("/repos/octo-org/hello-world"));
});

Deno.test("compilePathGlob: GitLab's encoded slashes read as the segments GitLab reads, without empty ones", () => {
  assert.equal(
    canonicalPath("/projects/G%2F%2Fp%2F/files/%2Fa%2Fb.rb"),
    "/projects/g/p/files/a/b.rb",
  );
  const project = compilePathGlob("/api/v4/projects/group%2Fpayroll/*");
  const folder = compilePathGlob("/api/v4/projects/*/repository/files/secrets/*");
  for (
    const [glob, path] of [
      [project, "/api/v4/projects/group%2Fpayroll/issues"],
      [project, "/api/v4/projects/Group%2fPAYROLL/issues"],
      [project, "/api/v4/projects/group%2F%2Fpayroll/issues"],
      [project, "/api/v4/projects/group/payroll/issues"],
      [folder, "/api/v4/projects/7/repository/files/secrets%2Fkey.pem/raw"],
      [folder, "/api/v4/projects/7/repository/files/%2Fsecrets%2Fkey.pem/raw"],
      [folder, "/api/v4/projects/g%2Fp/repository/files/secrets%2F%2Fkey.pem"],
    ] as const
  ) assert.ok(glob.match(path), path);
  assert.ok(!project.match("/api/v4/projects/group%2Fother/issues"));
  assert.ok(!folder.match("/api/v4/projects/7/repository/files/src%2Fa.rb/raw"));
});

Deno.test("compilePathGlob: the canonical form computed once per path answers each glob and each new path alike", () => {
  const payroll = compilePathGlob("/repos/octo-org/payroll*");
  const wiki = compilePathGlob("/repos/octo-org/wiki");
  const paths: [string, boolean, boolean][] = [
    ["/repos/Octo-Org/%70ayroll", true, false],
    ["/repos/Octo-Org/Wiki", false, true],
    ["/repos/Octo-Org/%70ayroll", true, false],
    ["/repos//octo-org/wiki/", false, true],
    ["/repos/other/payroll", false, false],
  ];
  // Alternating paths and globs: a form kept from another path would answer wrongly.
  for (const [path, inPayroll, inWiki] of paths) {
    assert.equal(payroll.match(path), inPayroll, `payroll ${path}`);
    assert.equal(wiki.match(path), inWiki, `wiki ${path}`);
  }
});
