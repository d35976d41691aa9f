/** The MCP URL of a grant: the endpoint with the grant as its last path segment. */
export function mcpUrl(publicUrl: string, grant: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/mcp/${grant}`;
}
