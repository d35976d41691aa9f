import type { OperationClass, OperationEntry } from "../operation.ts";
import type { PathSegment } from "../operation_map.ts";

/**
 * Dropbox API v2: RPC routes `POST /2/<namespace>/<route>` on the `dropbox`
 * host (api.dropboxapi.com) and content routes (upload, download) on
 * `dropbox-content` (content.dropboxapi.com). One map serves both hosts: no
 * route exists on both. Ids are the route names of the API reference with
 * `/` as `.` (`files/list_folder/continue` → `dropbox.files.list_folder.continue`).
 */

const ROUTES: ReadonlyArray<readonly [string, OperationClass]> = [
  ["files/list_folder", "read"],
  ["files/list_folder/continue", "read"],
  ["files/list_folder/get_latest_cursor", "read"],
  ["files/get_metadata", "read"],
  ["files/search_v2", "read"],
  ["files/search/continue_v2", "read"],
  ["files/list_revisions", "read"],
  ["files/get_temporary_link", "read"],
  ["files/get_preview", "read"],
  ["files/download", "read"],
  ["files/download_zip", "read"],
  ["files/export", "read"],
  ["files/get_thumbnail_v2", "read"],
  ["files/upload", "write"],
  ["files/upload_session/start", "write"],
  ["files/upload_session/append_v2", "write"],
  ["files/upload_session/finish", "write"],
  ["files/upload_session/finish_batch_v2", "write"],
  ["files/create_folder_v2", "write"],
  ["files/copy_v2", "write"],
  ["files/move_v2", "write"],
  ["files/restore", "write"],
  ["files/save_url", "write"],
  ["files/delete", "delete"],
  ["files/delete_v2", "delete"],
  ["files/delete_batch", "delete"],
  ["files/permanently_delete", "delete"],
  ["sharing/list_shared_links", "read"],
  ["sharing/get_shared_link_metadata", "read"],
  ["sharing/list_folders", "read"],
  ["sharing/list_file_members", "read"],
  // Shared links and members hand files to people outside the account.
  ["sharing/create_shared_link_with_settings", "send"],
  ["sharing/share_folder", "send"],
  ["sharing/add_folder_member", "send"],
  ["sharing/add_file_member", "send"],
  ["sharing/revoke_shared_link", "write"],
  ["sharing/remove_file_member_2", "write"],
  ["file_requests/create", "write"],
  ["file_requests/list_v2", "read"],
  ["users/get_current_account", "read"],
  ["users/get_space_usage", "read"],
  ["users/get_account", "read"],
];

export const DROPBOX_OPERATIONS: readonly OperationEntry[] = ROUTES.map(([route, cls]) => ({
  method: "POST",
  path: `/2/${route}`,
  id: `dropbox.${route.replaceAll("/", ".")}`,
  class: cls,
}));

/**
 * Every Dropbox route is a POST, so the method says nothing: an unmapped
 * route whose last part deletes is classed `delete`.
 */
export function dropboxUnknownClass(
  _call: unknown,
  segments: readonly PathSegment[],
): OperationClass | null {
  const last = segments.at(-1)?.key ?? "";
  return /(^|_)(delete|remove)(_|$)/.test(last) ? "delete" : null;
}
