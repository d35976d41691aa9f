import assert from "node:assert/strict";
import { graphqlCallOperation, graphqlFieldClass, summarizeGraphql } from "./graphql_operation.ts";

const IDS = { prefix: "linear", opaqueId: "linear.graphql" };
const enc = new TextEncoder();
const post = (body: unknown, contentType = "application/json") =>
  graphqlCallOperation(
    IDS,
    { method: "POST", path: "/graphql", query: "" },
    enc.encode(typeof body === "string" ? body : JSON.stringify(body)),
    contentType,
  );

Deno.test("one mutation field: its id and class, aliases resolved", () => {
  assert.deepEqual(post({ query: 'mutation { issueCreate(input: {title: "x"}) { success } }' }), {
    id: "linear.mutation.issueCreate",
    class: "write",
  });
  assert.deepEqual(
    post({ query: "mutation M($id: String!) { gone: issueDelete(id: $id) { success } }" }),
    {
      id: "linear.mutation.issueDelete",
      class: "delete",
    },
  );
  // Aliases run one delete field several times: every run is a deletion.
  assert.deepEqual(
    post({
      query: "mutation { a: issueDelete(id: 1) { success } b: issueDelete(id: 2) { success } }",
    }),
    { id: "linear.mutation.issueDelete", class: "delete", deletes: 2 },
  );
  assert.equal(post({ query: "mutation { projectArchive(id: 1) { success } }" }).class, "delete");
  assert.equal(post({ query: "mutation { issueUnarchive(id: 1) { success } }" }).class, "write");
});

Deno.test("queries read; the shorthand { … } is a query", () => {
  assert.deepEqual(post({ query: "{ issues(first: 5) { nodes { id } } }" }), {
    id: "linear.query.issues",
    class: "read",
  });
  assert.deepEqual(post({ query: "query Me { viewer { id } __typename }" }), {
    id: "linear.query.viewer",
    class: "read",
  });
  assert.equal(
    post({ query: "subscription { issueUpdated { id } }" }).id,
    "linear.subscription.issueUpdated",
  );
});

Deno.test("comments and strings that say mutation do not fool the scanner", () => {
  const doc = `
    # mutation { issueDelete(id: "1") }
    query Q {
      issues(filter: { title: { eq: "mutation { issueDelete }" } }) { nodes { id } }
      # } issueDelete(id: 2) {
    }`;
  assert.deepEqual(post({ query: doc }), { id: "linear.query.issues", class: "read" });
  const block = `query { searchIssues(term: """ } mutation { x } \\""" """) { nodes { id } } }`;
  assert.deepEqual(post({ query: block }), { id: "linear.query.searchIssues", class: "read" });
});

Deno.test("fragments and inline fragments expand to their top-level fields", () => {
  const doc = `
    fragment Kill on Mutation { issueDelete(id: "1") { success } }
    mutation { ...Kill issueCreate(input: {}) { success } }`;
  assert.deepEqual(post({ query: doc }), {
    id: "linear.mutation",
    class: "delete",
    multiplexed: true,
  });
  const inline =
    `mutation { ... on Mutation @include(if: true) { issueDelete(id: "1") { success } } }`;
  assert.deepEqual(post({ query: inline }), { id: "linear.mutation.issueDelete", class: "delete" });
  assert.equal(
    post({ query: "fragment A on Query { ...A } query { ...A }" }).id,
    "linear.graphql",
    "a fragment cycle is unreadable",
  );
  assert.equal(post({ query: "query { ...Missing }" }).id, "linear.graphql");
});

Deno.test("several fields: multiplexed with the worst class; one field twice is one operation", () => {
  assert.deepEqual(
    post({
      query:
        "mutation { a: issueCreate(input: {}) { success } b: issueCreate(input: {}) { success } }",
    }),
    {
      id: "linear.mutation.issueCreate",
      class: "write",
    },
  );
  assert.deepEqual(post({ query: "{ issues { nodes { id } } teams { nodes { id } } }" }), {
    id: "linear.query",
    class: "read",
    multiplexed: true,
  });
});

Deno.test("operationName picks among several operations; without it they are opaque", () => {
  const doc = "query A { viewer { id } } mutation B { issueDelete(id: 1) { success } }";
  assert.equal(post({ query: doc, operationName: "B" }).id, "linear.mutation.issueDelete");
  assert.equal(post({ query: doc, operationName: "A" }).id, "linear.query.viewer");
  assert.deepEqual(post({ query: doc }), {
    id: "linear.graphql",
    class: "write",
    multiplexed: true,
  });
  assert.equal(post({ query: doc, operationName: "C" }).id, "linear.graphql");
});

Deno.test("unreadable bodies are opaque multiplexed writes", () => {
  const opaque = { id: "linear.graphql", class: "write", multiplexed: true };
  assert.deepEqual(post("{not json"), opaque);
  assert.deepEqual(
    post('{"query": "mutation { issueCreate(input: {}) { success } }"'),
    opaque,
    "cut at the peek",
  );
  assert.deepEqual(post([{ query: "{ viewer { id } }" }]), opaque, "batched array");
  assert.deepEqual(post({ query: 42 }), opaque);
  assert.deepEqual(post({ query: "{ viewer { id } ", operationName: null }), opaque, "unbalanced");
  assert.deepEqual(post({ query: "type Query { x: Int }" }), opaque, "not executable");
  assert.deepEqual(post({ query: "{ viewer % }" }), opaque, "stray character");
  assert.deepEqual(post({ query: 'query { a(x: "unterminated) { id } }' }), opaque);
  assert.deepEqual(
    graphqlCallOperation(IDS, { method: "POST", path: "/graphql", query: "" }, null, null),
    opaque,
    "no body",
  );
  assert.deepEqual(
    graphqlCallOperation(
      IDS,
      { method: "POST", path: "/graphql", query: "" },
      new Uint8Array([0xff, 0xfe]),
      null,
    ),
    opaque,
    "invalid UTF-8",
  );
});

Deno.test("a media type Rack ends at `,` is never read as another document than the server's", () => {
  // Rack (GitHub) takes `application/graphql, x` for application/graphql; read as JSON here
  // it is no document, so opaque: the rules treat it as any operation, never a narrower one.
  const opaque = { id: "linear.graphql", class: "write", multiplexed: true };
  const mutation = "mutation { issueDelete(id: 1) { success } }";
  assert.deepEqual(post(mutation, "application/graphql, text/plain"), opaque);
  // And a form (Rack reads `query=` from it) is no JSON either: opaque.
  const form = `query=${encodeURIComponent(mutation)}`;
  assert.deepEqual(post(form, "application/x-www-form-urlencoded, text/plain"), opaque);
});

Deno.test("application/graphql bodies and GET query strings are read too", () => {
  assert.equal(
    post("mutation { issueDelete(id: 1) { success } }", "application/graphql; charset=utf-8").id,
    "linear.mutation.issueDelete",
  );
  const get = graphqlCallOperation(
    IDS,
    { method: "GET", path: "/graphql", query: "?query=" + encodeURIComponent("{ viewer { id } }") },
    null,
    null,
  );
  assert.deepEqual(get, { id: "linear.query.viewer", class: "read" });
});

Deno.test("summarizeGraphql and graphqlFieldClass directly", () => {
  assert.deepEqual(
    summarizeGraphql("query ($a: [Int!]! = [1, 2]) @cached { x(a: $a) @skip(if: false) }", null),
    {
      type: "query",
      fields: ["x"],
    },
  );
  assert.equal(summarizeGraphql("", null), null);
  assert.equal(graphqlFieldClass("mutation", "deleteRepository"), "delete");
  assert.equal(graphqlFieldClass("mutation", "archiveRepository"), "delete");
  assert.equal(graphqlFieldClass("mutation", "createIssue"), "write");
  assert.equal(graphqlFieldClass("query", "deleteLog"), "read");
});

Deno.test("a field name past 128 characters makes the document opaque, not a huge operation id", () => {
  const long = `issue${"X".repeat(200)}Create`;
  const op = post({ query: `mutation { ${long}(input: {}) { success } }` });
  assert.equal(op.id, "linear.graphql");
  assert.equal(op.multiplexed, true);
  const fits = `issue${"X".repeat(100)}Create`;
  assert.equal(post({ query: `mutation { ${fits} { success } }` }).id, `linear.mutation.${fits}`);
});

Deno.test("a document or operation name in the URL as well as the body is opaque; so is one named twice", () => {
  // Rails' params (GitHub's graphql-ruby) and express-graphql let the query string win over
  // the body: a read in the body could run a mutation named in the URL.
  const opaque = { id: "linear.graphql", class: "write", multiplexed: true };
  const read = JSON.stringify({ query: "query { viewer { id } }" });
  const postWith = (query: string) =>
    graphqlCallOperation(
      IDS,
      { method: "POST", path: "/graphql", query },
      enc.encode(read),
      "application/json",
    );
  assert.deepEqual(postWith(""), { id: "linear.query.viewer", class: "read" });
  assert.deepEqual(postWith("?x=1"), { id: "linear.query.viewer", class: "read" });
  for (
    const query of [
      "?query=mutation%7BissueDelete(id%3A1)%7Bsuccess%7D%7D",
      "?operationName=Other",
      "?x=1;query=mutation%7BissueDelete(id%3A1)%7Bsuccess%7D%7D",
      "?%71uery=x",
    ]
  ) assert.deepEqual(postWith(query), opaque, query);
  const get = (query: string) =>
    graphqlCallOperation(IDS, { method: "GET", path: "/graphql", query }, null, null);
  const q = (doc: string) => encodeURIComponent(doc);
  assert.deepEqual(get(`?query=${q("{ viewer { id } }")}`), {
    id: "linear.query.viewer",
    class: "read",
  });
  for (
    const query of [
      `?query=${q("{ viewer { id } }")}&query=${q("mutation { issueDelete(id: 1) { success } }")}`,
      `?query=${q("{ viewer { id } }")};query=${q("mutation { issueDelete(id: 1) { success } }")}`,
      `?query=${q("query A { viewer { id } } mutation B { issueDelete(id: 1) { success } }")}` +
      "&operationName=A&operationName=B",
    ]
  ) assert.deepEqual(get(query), opaque, query);
});
