/**
 * A fake Google Drive API v3 (`/drive/v3/files…`, `/upload/drive/v3/files`)
 * over an in-memory My Drive: list with `q`, `fields`, `pageSize` and paging,
 * get (metadata or `alt=media`), create, update, copy and delete, in Drive's
 * JSON shapes. `fields` is honoured as Drive does: what is not asked for is
 * left out (so a list without `parents` in `fields` carries no parents).
 */
import { bearerToken, bodyJson, type FakeCall, type FakeProvider } from "./dispatcher.ts";
import {
  type DriveQuery,
  DriveQueryError,
  driveQueryMatches,
  parseDriveQuery,
} from "./drive_query.ts";
import {
  googleEmpty,
  googleError,
  googleJson,
  googleUnauthorized,
  pageOffset,
  pageToken,
  splitMultipart,
  underAny,
} from "./google_wire.ts";

export const FOLDER_MIME = "application/vnd.google-apps.folder";
const DOC_MIME = "application/vnd.google-apps.document";

export const DRIVE_IDS = {
  /** My Drive (`'root' in parents` means this). */
  ROOT: "0AHqmRGHxE3dUUk9PVA",
  /** Folder "HR" in My Drive. */
  HR: "fold_hr",
  /** Folder "Offers" inside HR: nested, so `not 'fold_hr' in parents` does not exclude its files. */
  HR_OFFERS: "fold_hr_offers",
  /** Folder "Public" in My Drive. */
  PUBLIC: "fold_pub",
  /** In HR. CSV with SSN 123-45-6789. */
  SALARIES: "file_salaries",
  /** In HR. */
  REVIEW: "file_review",
  /** In HR/Offers. */
  OFFER: "file_offer",
  /** In Public. */
  HANDBOOK: "file_handbook",
  /** In Public; a Google Doc (alt=media answers 403 fileNotDownloadable). */
  ROADMAP: "file_roadmap",
  /** In Public. CSV with an email, a phone number and the card 4111 1111 1111 1111. */
  CONTACTS: "file_contacts",
  /** In Public, trashed. */
  OLD_BUDGET: "file_old_budget",
  /** In My Drive. Text with an email address and a phone number. */
  NOTES: "file_notes",
};

export interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  trashed: boolean;
  starred: boolean;
  createdTime: string;
  modifiedTime: string;
  description?: string;
  /** Absent for folders and Google Docs. */
  content?: Uint8Array;
}

export interface DriveState {
  rootId: string;
  owner: { displayName: string; emailAddress: string; permissionId: string };
  files: Map<string, DriveFile>;
  /** Ids `files.delete` removed (the requested id; descendants go too, unlisted). */
  deleted: string[];
  /** Ids `files.create` and uploads made. */
  created: string[];
  /** `files.copy`: source and new id. */
  copies: { from: string; id: string }[];
  /** Ids `files.update` changed. */
  updated: string[];
  nextId: number;
}

const encoder = new TextEncoder();

function seedFiles(): DriveFile[] {
  const at = (day: number) => new Date(Date.UTC(2024, 3, day, 8, 30)).toISOString();
  const file = (
    id: string,
    name: string,
    mimeType: string,
    parent: string,
    day: number,
    content?: string,
    extra: Partial<DriveFile> = {},
  ): DriveFile => ({
    id,
    name,
    mimeType,
    parents: [parent],
    trashed: false,
    starred: false,
    createdTime: at(day),
    modifiedTime: at(day + 1),
    ...(content === undefined ? {} : { content: encoder.encode(content) }),
    ...extra,
  });
  const I = DRIVE_IDS;
  return [
    file(I.HR, "HR", FOLDER_MIME, I.ROOT, 1),
    file(I.PUBLIC, "Public", FOLDER_MIME, I.ROOT, 1),
    file(I.HR_OFFERS, "Offers", FOLDER_MIME, I.HR, 2),
    file(
      I.SALARIES,
      "Salaries 2024.csv",
      "text/csv",
      I.HR,
      3,
      "name,ssn,salary\nBob Stone,123-45-6789,98000\nDana Lee,987-65-4320,105000\n",
    ),
    file(
      I.REVIEW,
      "Performance review - Bob Stone.txt",
      "text/plain",
      I.HR,
      4,
      "Bob exceeded expectations.\n",
    ),
    file(
      I.OFFER,
      "Offer letter - Dana Lee.pdf",
      "application/pdf",
      I.HR_OFFERS,
      5,
      "%PDF-1.4\n%%EOF\n",
    ),
    file(I.HANDBOOK, "Employee handbook.pdf", "application/pdf", I.PUBLIC, 6, "%PDF-1.4\n%%EOF\n", {
      starred: true,
    }),
    file(I.ROADMAP, "Roadmap 2025", DOC_MIME, I.PUBLIC, 7),
    file(
      I.CONTACTS,
      "Customer contacts.csv",
      "text/csv",
      I.PUBLIC,
      8,
      "name,email,phone,card\nBob Stone,bob.stone@example.com,+1 415-555-0132,4111 1111 1111 1111\n",
    ),
    file(I.OLD_BUDGET, "Old budget.xlsx", "text/csv", I.PUBLIC, 9, "q,amount\nQ1,100\n", {
      trashed: true,
    }),
    file(
      I.NOTES,
      "Meeting notes.txt",
      "text/plain",
      I.ROOT,
      10,
      "Follow up with dana.lee@contoso.com, +1 415-555-0199.\n",
    ),
  ];
}

export function createDriveState(): DriveState {
  return {
    rootId: DRIVE_IDS.ROOT,
    owner: {
      displayName: "Alice Martin",
      emailAddress: "alice@acme.com",
      permissionId: "06693184547382054461",
    },
    files: new Map(seedFiles().map((f) => [f.id, f])),
    deleted: [],
    created: [],
    copies: [],
    updated: [],
    nextId: 0,
  };
}

const PREFIXES = ["/drive/v3", "/upload/drive/v3"];

function notFound(id: string): Response {
  return googleError(
    404,
    `File not found: ${id}.`,
    { reason: "notFound", location: "fileId", locationType: "parameter" },
    false,
  );
}

function invalidValue(location: string): Response {
  return googleError(
    400,
    "Invalid Value",
    { reason: "invalid", location, locationType: "parameter" },
    false,
  );
}

function isDownloadable(f: DriveFile): boolean {
  return f.content !== undefined && !f.mimeType.startsWith("application/vnd.google-apps.");
}

async function md5ish(bytes: Uint8Array): Promise<string> {
  // Drive reports MD5; SHA-256 cut to MD5's length keeps the shape without an MD5 here.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function fileJson(state: DriveState, f: DriveFile): Promise<Record<string, unknown>> {
  const folder = f.mimeType === FOLDER_MIME;
  const user = {
    kind: "drive#user",
    ...state.owner,
    me: true,
    photoLink: "https://lh3.googleusercontent.com/a/default-user=s64",
  };
  const extension = /\.([A-Za-z0-9]+)$/.exec(f.name)?.[1];
  return {
    kind: "drive#file",
    id: f.id,
    name: f.name,
    mimeType: f.mimeType,
    ...(f.description ? { description: f.description } : {}),
    starred: f.starred,
    trashed: f.trashed,
    explicitlyTrashed: f.trashed,
    parents: f.parents,
    spaces: ["drive"],
    version: String(10 + f.modifiedTime.length),
    webViewLink: folder
      ? `https://drive.google.com/drive/folders/${f.id}`
      : `https://drive.google.com/file/d/${f.id}/view?usp=drivesdk`,
    iconLink: `https://drive-thirdparty.googleusercontent.com/16/type/${f.mimeType}`,
    hasThumbnail: false,
    viewedByMe: true,
    createdTime: f.createdTime,
    modifiedTime: f.modifiedTime,
    modifiedByMe: true,
    owners: [user],
    lastModifyingUser: user,
    shared: false,
    ownedByMe: true,
    capabilities: {
      canEdit: true,
      canCopy: !folder,
      canDelete: true,
      canDownload: !folder,
      canTrash: true,
      canAddChildren: folder,
      canListChildren: folder,
    },
    ...(isDownloadable(f)
      ? {
        originalFilename: f.name,
        ...(extension ? { fullFileExtension: extension, fileExtension: extension } : {}),
        md5Checksum: await md5ish(f.content!),
        size: String(f.content!.length),
        quotaBytesUsed: String(f.content!.length),
      }
      : { quotaBytesUsed: "0" }),
  };
}

/** Splits a `fields` value at its top-level commas: `files(id,name),nextPageToken`. */
function topLevel(spec: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of spec) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      items.push(current.trim());
      current = "";
    } else {
      current += c;
    }
  }
  if (current.trim()) items.push(current.trim());
  return items;
}

const DEFAULT_FILE_FIELDS = ["kind", "id", "name", "mimeType"];

type Selection = Set<string> | "all";

function fieldName(item: string): string {
  return item.split(/[(/]/)[0].trim();
}

/** For `files.get`: which file fields `fields` asks for. */
function fileSelection(spec: string | null): Selection {
  if (spec === null) return new Set(DEFAULT_FILE_FIELDS);
  const items = topLevel(spec);
  if (items.includes("*")) return "all";
  return new Set(items.map(fieldName));
}

/** For `files.list`: the list's own fields and each file's. */
function listSelection(spec: string | null): { top: Selection; file: Selection } {
  if (spec === null) {
    return {
      top: new Set(["kind", "nextPageToken", "incompleteSearch", "files"]),
      file: new Set(DEFAULT_FILE_FIELDS),
    };
  }
  const items = topLevel(spec);
  if (items.includes("*")) return { top: "all", file: "all" };
  const top = new Set<string>();
  let file: Selection = new Set();
  for (const item of items) {
    const name = fieldName(item);
    top.add(name);
    if (name !== "files" || file === "all") continue;
    const inner = /^files\((.*)\)$/s.exec(item)?.[1] ?? /^files\/(.*)$/s.exec(item)?.[1];
    if (inner === undefined) {
      file = "all";
      continue;
    }
    const names = topLevel(inner).map(fieldName);
    if (names.includes("*")) file = "all";
    else for (const n of names) file.add(n);
  }
  return { top, file };
}

function pick(json: Record<string, unknown>, selection: Selection): Record<string, unknown> {
  if (selection === "all") return json;
  return Object.fromEntries(Object.entries(json).filter(([k]) => selection.has(k)));
}

function searchable(state: DriveState, f: DriveFile) {
  const text = f.content ? new TextDecoder().decode(f.content) : "";
  return {
    ...f,
    owners: [state.owner.emailAddress],
    fullText: `${f.name}\n${f.description ?? ""}\n${text}`,
  };
}

async function list(state: DriveState, query: URLSearchParams): Promise<Response> {
  let parsed: DriveQuery;
  try {
    parsed = parseDriveQuery(query.get("q") ?? "");
  } catch (error) {
    if (error instanceof DriveQueryError) return invalidValue("q");
    throw error;
  }
  const matching = [...state.files.values()].filter((f) =>
    driveQueryMatches(parsed, searchable(state, f), state.rootId)
  );
  const offset = pageOffset(query.get("pageToken"));
  if (offset === null) return invalidValue("pageToken");
  const size = Number(query.get("pageSize") ?? "100");
  if (!Number.isInteger(size) || size < 1 || size > 1000) return invalidValue("pageSize");
  const slice = matching.slice(offset, offset + size);
  const selection = listSelection(query.get("fields"));
  const files = await Promise.all(
    slice.map(async (f) => pick(await fileJson(state, f), selection.file)),
  );
  const full: Record<string, unknown> = {
    kind: "drive#fileList",
    ...(offset + size < matching.length ? { nextPageToken: pageToken(offset + size) } : {}),
    incompleteSearch: false,
    files,
  };
  return googleJson(pick(full, selection.top));
}

function newId(state: DriveState): string {
  state.nextId++;
  return `1Zx9Fk${String(state.nextId).padStart(4, "0")}qLm3TnVb8WcYd2Hs`;
}

function now(): string {
  return new Date().toISOString();
}

interface Metadata {
  name?: string;
  mimeType?: string;
  parents?: string[];
  description?: string;
  starred?: boolean;
  trashed?: boolean;
}

function metadataOf(value: unknown): Metadata {
  return (typeof value === "object" && value !== null ? value : {}) as Metadata;
}

/** Metadata and content of a create or update: JSON on the plain path, media on `/upload/`. */
function incoming(
  call: FakeCall,
  upload: boolean,
): { meta: Metadata; content?: Uint8Array } | Response {
  if (!upload) return { meta: metadataOf(bodyJson(call)) };
  const type = call.query.get("uploadType");
  if (type === "media") return { meta: {}, content: call.body };
  if (type === "multipart") {
    const parts = splitMultipart(call.body, call.headers.get("content-type"));
    if (!parts || parts.length < 2) return invalidValue("body");
    const meta = metadataOf(JSON.parse(new TextDecoder().decode(parts[0].body) || "{}"));
    return {
      meta: { mimeType: parts[1].headers.get("content-type") ?? undefined, ...meta },
      content: parts[1].body,
    };
  }
  return invalidValue("uploadType");
}

async function create(state: DriveState, call: FakeCall, upload: boolean): Promise<Response> {
  const input = incoming(call, upload);
  if (input instanceof Response) return input;
  const parents = input.meta.parents ?? [state.rootId];
  const missing = parents.find((p) => p !== state.rootId && !state.files.has(p));
  if (missing) return notFound(missing);
  const f: DriveFile = {
    id: newId(state),
    name: input.meta.name ?? "Untitled",
    mimeType: input.meta.mimeType ?? "application/octet-stream",
    parents: parents.map((p) => (p === "root" ? state.rootId : p)),
    trashed: false,
    starred: input.meta.starred ?? false,
    createdTime: now(),
    modifiedTime: now(),
    ...(input.meta.description ? { description: input.meta.description } : {}),
    ...(input.content ? { content: input.content } : {}),
  };
  state.files.set(f.id, f);
  state.created.push(f.id);
  return googleJson(pick(await fileJson(state, f), fileSelection(call.query.get("fields"))));
}

async function update(
  state: DriveState,
  f: DriveFile,
  call: FakeCall,
  upload: boolean,
): Promise<Response> {
  const input = incoming(call, upload);
  if (input instanceof Response) return input;
  const { meta } = input;
  if (meta.name !== undefined) f.name = meta.name;
  if (meta.description !== undefined) f.description = meta.description;
  if (meta.starred !== undefined) f.starred = meta.starred;
  if (meta.trashed !== undefined) f.trashed = meta.trashed;
  if (meta.mimeType !== undefined) f.mimeType = meta.mimeType;
  if (input.content) f.content = input.content;
  const split = (name: string) => (call.query.get(name) ?? "").split(",").filter(Boolean);
  const remove = split("removeParents");
  f.parents = [
    ...new Set([...f.parents.filter((p) => !remove.includes(p)), ...split("addParents")]),
  ];
  f.modifiedTime = now();
  state.updated.push(f.id);
  return googleJson(pick(await fileJson(state, f), fileSelection(call.query.get("fields"))));
}

function remove(state: DriveState, id: string) {
  state.files.delete(id);
  for (const child of [...state.files.values()]) {
    if (child.parents.includes(id)) remove(state, child.id);
  }
}

async function copy(state: DriveState, source: DriveFile, call: FakeCall): Promise<Response> {
  if (source.mimeType === FOLDER_MIME) {
    return googleError(
      403,
      "This file cannot be copied by the user.",
      { reason: "cannotCopyFile" },
      false,
    );
  }
  const meta = metadataOf(bodyJson(call));
  const f: DriveFile = {
    ...source,
    id: newId(state),
    name: meta.name ?? `Copy of ${source.name}`,
    parents: meta.parents ?? source.parents,
    trashed: false,
    starred: false,
    createdTime: now(),
    modifiedTime: now(),
  };
  state.files.set(f.id, f);
  state.copies.push({ from: source.id, id: f.id });
  return googleJson(pick(await fileJson(state, f), fileSelection(call.query.get("fields"))));
}

function media(f: DriveFile): Response {
  if (!isDownloadable(f)) {
    return googleError(
      403,
      "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
      { reason: "fileNotDownloadable", location: "alt", locationType: "parameter" },
      false,
    );
  }
  return new Response(f.content! as BodyInit, {
    headers: {
      "content-type": f.mimeType,
      "content-disposition": `attachment`,
      "x-goog-hash": "crc32c=AAAAAA==",
      "cache-control": "private, max-age=0, must-revalidate",
    },
  });
}

async function route(state: DriveState, call: FakeCall): Promise<Response> {
  const match = /^\/(upload\/)?drive\/v3\/(.*)$/.exec(call.path);
  const rest = (match?.[2] ?? "").split("/").map(decodeURIComponent);
  const upload = match?.[1] !== undefined;
  const method = call.method;
  const notHere = () => googleError(404, "Not Found", { reason: "notFound" }, false);
  if (rest[0] === "about" && rest.length === 1 && method === "GET" && !upload) {
    return googleJson({
      kind: "drive#about",
      user: { kind: "drive#user", ...state.owner, me: true },
    });
  }
  if (rest[0] !== "files") return notHere();
  if (rest.length === 1) {
    if (method === "GET" && !upload) return await list(state, call.query);
    if (method === "POST") return await create(state, call, upload);
    return notHere();
  }
  const id = rest[1] === "root" ? state.rootId : rest[1];
  const f = state.files.get(id);
  if (rest.length === 2) {
    if (!f) return notFound(rest[1]);
    if (method === "GET" && !upload) {
      if (call.query.get("alt") === "media") return media(f);
      return googleJson(pick(await fileJson(state, f), fileSelection(call.query.get("fields"))));
    }
    if (method === "PATCH") return await update(state, f, call, upload);
    if (method === "DELETE" && !upload) {
      remove(state, f.id);
      state.deleted.push(f.id);
      return googleEmpty();
    }
    return notHere();
  }
  if (rest.length === 3 && rest[2] === "copy" && method === "POST" && !upload) {
    return f ? await copy(state, f, call) : notFound(rest[1]);
  }
  return notHere();
}

export function driveFake(state: DriveState): FakeProvider {
  return {
    name: "drive",
    serves: (path) => underAny(path, PREFIXES),
    tokenOf: (call) => bearerToken(call.headers),
    unauthorized: (_call, sent) => googleUnauthorized(sent),
    handle: (call) => route(state, call),
  };
}
