import "dotenv/config";
import express from "express";
import { createPool } from "./db.js";
import { healthRoute } from "./health.js";

const pool = await createPool();
const app = express();

app.get("/healthz", healthRoute(pool));

app.get("/orders", async (req, res, next) => {
  try {
    const { rows } = await pool.query("SELECT id, status, total FROM orders ORDER BY id DESC LIMIT 50");
    res.json(rows);
  } catch (err) {
    next(err);
  }
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`orders-api listening on port ${port}`));
