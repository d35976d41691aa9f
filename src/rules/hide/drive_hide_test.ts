import assert from "node:assert/strict";
import { SecurixError } from "../../errors/securix_error.ts";
import {
  balancedDriveQuery,
  driveFilterAnswer,
  driveNarrowQuery,
  driveTargetHidden,
} from "./drive_hide.ts";
import { LabelCache } from "./gmail_hide.ts";
import type { HideContext } from "./hide_plan.ts";

const HIDDEN = "1HrFolderAbC";
const policy = { labels: [], folders: [HIDDEN, "0BLegal"] };

function ctx(answers: Record<string, unknown>, folders = policy.folders) {
  const calls: string[] = [];
  const c: HideContext = {
    policy: { labels: [], folders },
    lookup: (p) => {
      calls.push(p);
      return Promise.resolve(p in answers ? answers[p] : null);
    },
    labels: new LabelCache(() => 0),
    connectionId: "c",
  };
  return { ctx: c, calls };
}
const q = (query: string) => new URLSearchParams(query.slice(1)).get("q");
const meta = (id: string) => `/drive/v3/files/${id}?fields=id,parents&supportsAllDrives=true`;

Deno.test("driveNarrowQuery: our conditions first, the caller's grouped, other params kept", () => {
  const out = driveNarrowQuery(
    "drive.files.list",
    "?q=name+contains+%27it%5C%27s%27+or+mimeType%3D%27x%27&fields=files(id,name,parents)&pageSize=50",
    policy.folders,
  );
  const params = new URLSearchParams(out.slice(1));
  assert.equal(
    params.get("q"),
    `not '${HIDDEN}' in parents and not '0BLegal' in parents and (name contains 'it\\'s' or mimeType='x')`,
  );
  assert.equal(params.get("fields"), "files(id,name,parents)");
  assert.equal(params.get("pageSize"), "50");
  assert.equal(q(driveNarrowQuery("drive.files.list", "", [HIDDEN])), `not '${HIDDEN}' in parents`);
  assert.equal(
    q(driveNarrowQuery("drive.files.list", "", ["a'b\\c"])),
    "not 'a\\'b\\\\c' in parents",
  );
  assert.equal(driveNarrowQuery("drive.files.get", "?alt=media", policy.folders), "?alt=media");
  assert.equal(driveNarrowQuery("drive.files.list", "?q=x", []), "?q=x");
});

Deno.test("driveNarrowQuery: a query that could escape the narrowing is refused", () => {
  for (const bad of ["name='a') or (name contains 'b'", "name='a", "name='a\\'", "(x"]) {
    assert.throws(
      () => driveNarrowQuery("drive.files.list", `?q=${encodeURIComponent(bad)}`, [HIDDEN]),
      (e) => e instanceof SecurixError && e.code === "SX-HIDE-QUERY",
      bad,
    );
  }
  assert.ok(balancedDriveQuery("name = ')(' and (trashed = false)"));
  assert.ok(balancedDriveQuery("name = 'a\\\\' and ('x' in parents)"));
});

Deno.test("driveTargetHidden: parents in a hidden folder, the folder itself, addParents into one", async () => {
  const { ctx: c, calls } = ctx({
    [meta("fileInHr")]: { id: "fileInHr", parents: ["root", HIDDEN] },
    [meta("fileElsewhere")]: { id: "fileElsewhere", parents: ["0Bother"] },
    [meta("sharedWithMe")]: { id: "sharedWithMe" },
  });
  assert.equal(await driveTargetHidden("/drive/v3/files/fileInHr", "?alt=media", c), true);
  assert.equal(
    await driveTargetHidden("/upload/drive/v3/files/fileInHr", "?uploadType=media", c),
    true,
  );
  assert.equal(await driveTargetHidden("/drive/v3/files/fileInHr/permissions", "", c), true);
  assert.equal(
    await driveTargetHidden("/drive/v3/files/fileInHr/export", "?mimeType=text/plain", c),
    true,
  );
  assert.equal(await driveTargetHidden("/drive/v3/files/fileElsewhere", "", c), false);
  assert.equal(await driveTargetHidden("/drive/v3/files/sharedWithMe", "", c), false);
  const before = calls.length;
  assert.equal(await driveTargetHidden(`/drive/v3/files/${HIDDEN}`, "", c), true);
  assert.equal(
    await driveTargetHidden(
      "/drive/v3/files/fileElsewhere",
      `?addParents=x,${HIDDEN}&removeParents=0Bother`,
      c,
    ),
    true,
  );
  assert.equal(calls.length, before, "answered without asking Drive");
  assert.equal(await driveTargetHidden("/drive/v3/files", "?q=x", c), false);
  assert.equal(await driveTargetHidden("/drive/v3/files/generateIds", "", c), false);
  assert.equal(await driveTargetHidden("/drive/v3/files/trash", "", c), false);
});

Deno.test("driveTargetHidden: failed lookups and odd ids are hidden; no folders asks nothing", async () => {
  const { ctx: c } = ctx({});
  assert.equal(await driveTargetHidden("/drive/v3/files/unknownId", "", c), true);
  assert.equal(await driveTargetHidden("/drive/v3/files/..", "", c), true);
  assert.equal(await driveTargetHidden("/drive/v3/files/a%2Fb", "", c), true);
  const { ctx: none, calls } = ctx({}, []);
  assert.equal(await driveTargetHidden("/drive/v3/files/x", "", none), false);
  assert.equal(calls.length, 0);
});

Deno.test("driveFilterAnswer: list answers drop files in hidden folders and the folders; get hides", () => {
  const list = {
    kind: "drive#fileList",
    incompleteSearch: false,
    files: [
      { id: "a", name: "Budget", parents: ["root"] },
      { id: "b", name: "Salaries.xlsx", parents: [HIDDEN] },
      { id: HIDDEN, name: "HR", mimeType: "application/vnd.google-apps.folder", parents: ["root"] },
      { id: "c", name: "no parents asked" },
    ],
  };
  const out = driveFilterAnswer("drive.files.list", list, policy);
  assert.ok(out && out.action === "filtered");
  assert.equal(out.removed, 2);
  assert.deepEqual((out.json as typeof list).files.map((f) => f.id), ["a", "c"]);
  assert.equal((out.json as typeof list).kind, "drive#fileList");
  assert.deepEqual(driveFilterAnswer("drive.files.get", { id: "b", parents: [HIDDEN] }, policy), {
    action: "hidden",
  });
  assert.equal(driveFilterAnswer("drive.files.get", { id: "a", parents: ["root"] }, policy), null);
  assert.equal(driveFilterAnswer("drive.files.list", "not json object", policy), null);
});
