import assert from "node:assert/strict";
import { idSegment, idSegmentProblem } from "./id_segment.ts";

Deno.test("idSegment: an id is encoded as one segment; empty, '.' and '..' are refused", () => {
  assert.equal(idSegment("ses_1/../x?y"), "ses_1%2F..%2Fx%3Fy");
  assert.equal(idSegment("..."), "...");
  for (const bad of ["", ".", ".."]) {
    assert.throws(() => idSegment(bad), TypeError);
    assert.notEqual(idSegmentProblem(bad), null);
  }
  assert.equal(idSegmentProblem(42), "id is empty");
});
