// Used only by `deno task db:generate` (drizzle-kit) to write SQL migrations.
export default {
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
};
