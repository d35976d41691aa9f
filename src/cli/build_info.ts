/**
 * Which build this is. The release workflow and the Dockerfile overwrite this
 * file before `deno compile` (commit hash and UTC build date) with exactly
 * these two exports; a source checkout says "dev".
 */
export const BUILD_COMMIT: string = "dev";
export const BUILD_DATE: string = "unknown";
