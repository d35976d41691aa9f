import assert from "node:assert/strict";
import { operationMapFor } from "../operation_maps.ts";
import { assertCases } from "./test_cases.ts";

Deno.test("dropbox: RPC and content routes on one map, both hosts", () => {
  const cases = [
    ["POST", "/2/files/list_folder", "dropbox.files.list_folder", "read"],
    ["POST", "/2/files/list_folder/continue", "dropbox.files.list_folder.continue", "read"],
    ["POST", "/2/files/delete_v2", "dropbox.files.delete_v2", "delete"],
    ["POST", "/2/files/DELETE_V2/", "dropbox.files.delete_v2", "delete"],
    ["POST", "/2/files/delete_batch", "dropbox.files.delete_batch", "delete"],
    ["POST", "/2/files/download", "dropbox.files.download", "read"],
    ["POST", "/2/files/upload", "dropbox.files.upload", "write"],
    [
      "POST",
      "/2/sharing/create_shared_link_with_settings",
      "dropbox.sharing.create_shared_link_with_settings",
      "send",
    ],
    ["POST", "/2/files/delete_batch_v3", "dropbox.unknown", "delete"],
    ["POST", "/2/team/remove_thing", "dropbox.unknown", "delete"],
    ["POST", "/2/files/undeleted", "dropbox.unknown", "write"],
  ] as const;
  assertCases("dropbox", cases);
  assertCases("dropbox-content", cases);
  assert.equal(operationMapFor("dropbox-content"), operationMapFor("dropbox"));
});
