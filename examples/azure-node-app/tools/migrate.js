// Applies the schema migrations in migrations/: npm run migrate
import "dotenv/config";
import { runner } from "node-pg-migrate";

await runner({
  databaseUrl: process.env.AZURE_POSTGRESQL_CONNECTIONSTRING,
  dir: "migrations",
  direction: "up",
  migrationsTable: "pgmigrations",
});
