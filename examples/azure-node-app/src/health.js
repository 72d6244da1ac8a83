// GET /healthz: is the database reachable?
export function healthRoute(pool) {
  return async (req, res) => {
    try {
      await pool.query("SELECT 1");
      res.json({ status: "ok", database: process.env.AZURE_POSTGRES_HOST });
    } catch (err) {
      res.status(503).json({ status: "unavailable", error: err.message });
    }
  };
}
