/** The path with query parameter names only: values may hold ids, emails or tokens. */
export function auditPath(path: string, search: string): string {
  if (!search || search === "?") return path;
  const names = [...new URLSearchParams(search).keys()];
  return `${path}?${[...new Set(names)].join("&")}`;
}
