import type { OperationEntry } from "../operation.ts";
import { entriesUnder, type EntryRow } from "../operation_map.ts";

/**
 * Notion, named as in the official `@notionhq/client` (`notion.pages.create`,
 * `notion.databases.query`). Queries and search are POSTs that only read.
 * Archiving a page is `pages.update` with `archived: true` in the body: the
 * map does not look at bodies, so it stays a write (documented limit).
 */

const ROWS: EntryRow[] = [
  ["POST", "/pages", "pages.create", "write"],
  ["GET", "/pages/{page_id}", "pages.retrieve", "read"],
  ["PATCH", "/pages/{page_id}", "pages.update", "write"],
  ["GET", "/pages/{page_id}/properties/{property_id}", "pages.properties.retrieve", "read"],
  ["POST", "/pages/{page_id}/move", "pages.move", "write"],
  ["POST", "/databases", "databases.create", "write"],
  ["GET", "/databases/{database_id}", "databases.retrieve", "read"],
  ["PATCH", "/databases/{database_id}", "databases.update", "write"],
  ["POST", "/databases/{database_id}/query", "databases.query", "read"],
  ["POST", "/data_sources", "dataSources.create", "write"],
  ["GET", "/data_sources/{data_source_id}", "dataSources.retrieve", "read"],
  ["PATCH", "/data_sources/{data_source_id}", "dataSources.update", "write"],
  ["POST", "/data_sources/{data_source_id}/query", "dataSources.query", "read"],
  ["GET", "/blocks/{block_id}", "blocks.retrieve", "read"],
  ["PATCH", "/blocks/{block_id}", "blocks.update", "write"],
  ["DELETE", "/blocks/{block_id}", "blocks.delete", "delete"],
  ["GET", "/blocks/{block_id}/children", "blocks.children.list", "read"],
  ["PATCH", "/blocks/{block_id}/children", "blocks.children.append", "write"],
  ["POST", "/search", "search", "read"],
  ["GET", "/users", "users.list", "read"],
  ["GET", "/users/me", "users.me", "read"],
  ["GET", "/users/{user_id}", "users.retrieve", "read"],
  ["GET", "/comments", "comments.list", "read"],
  ["POST", "/comments", "comments.create", "write"],
  ["POST", "/file_uploads", "fileUploads.create", "write"],
  ["GET", "/file_uploads", "fileUploads.list", "read"],
  ["GET", "/file_uploads/{file_upload_id}", "fileUploads.retrieve", "read"],
  // Uploads a part of the file into Notion: nothing leaves the workspace.
  ["POST", "/file_uploads/{file_upload_id}/send", "fileUploads.send", "write"],
  ["POST", "/file_uploads/{file_upload_id}/complete", "fileUploads.complete", "write"],
];

export const NOTION_OPERATIONS: readonly OperationEntry[] = entriesUnder("/v1", "notion", ROWS);
