const { Client } = require("pg");
const c = new Client({ host: process.env.NEON_POSTGRESQL_HOST, ssl: process.env.NEON_POSTGRESQL_SSL === "true" });
const url = `postgres://${process.env.PGUSER}@h/db`;
