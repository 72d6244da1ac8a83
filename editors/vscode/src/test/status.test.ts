import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConnection, parseDeployedStatus, parseTestResult, presentStatus } from "../status";

const now = new Date("2025-01-01T12:00:00Z");
const connection = {
  target: "neon",
  clientType: "nodejs",
  auth: "secret",
  reason: "client type nodejs, from package.json; auth secret, by default",
  envFiles: [".env"],
  others: 0,
};

describe("presentStatus", () => {
  it("shows the target and client type of the active file's connection", () => {
    const status = presentStatus({ server: { kind: "running" }, connection, lastTest: undefined }, now);
    assert.equal(status.text, "$(database) neon · nodejs");
    assert.ok(status.tooltip.includes("client type nodejs, auth secret"));
    assert.ok(status.tooltip.includes("Why: client type nodejs, from package.json"));
    assert.ok(status.tooltip.includes("No connection test yet"));
    assert.equal(status.error, false);
  });

  it("adds the last test's outcome", () => {
    const passed = presentStatus(
      { server: { kind: "running" }, connection, lastTest: { ok: true, summary: "connected to PostgreSQL 15.8 as app", at: now } },
      now,
    );
    assert.equal(passed.text, "$(database) neon · nodejs $(check)");
    assert.ok(passed.tooltip.includes("Last test (just now): connected to PostgreSQL 15.8 as app"));
    const failed = presentStatus(
      {
        server: { kind: "running" },
        connection: null,
        lastTest: { ok: false, summary: "refused", at: new Date(now.getTime() - 5 * 60_000) },
      },
      now,
    );
    assert.equal(failed.text, "$(database) neon-lsp $(error)");
    assert.ok(failed.tooltip.includes("Last test (5 min ago): refused"));
    assert.ok(failed.tooltip.includes("No Service Connector connection applies"));
  });

  it("names a second connection and says when several apply", () => {
    const status = presentStatus(
      { server: { kind: "running" }, connection: { ...connection, name: "ANALYTICS", clientType: null, others: 1 }, lastTest: undefined },
      now,
    );
    assert.equal(status.text, "$(database) neon ANALYTICS");
    assert.ok(status.tooltip.includes("client type unknown"));
    assert.ok(status.tooltip.includes("1 more connection(s)"));
  });

  it("says why the server is not running", () => {
    const status = presentStatus({ server: { kind: "stopped", reason: "not found on PATH" }, connection: undefined, lastTest: undefined }, now);
    assert.equal(status.error, true);
    assert.equal(status.tooltip, "neon-lsp is not running: not found on PATH");
    assert.equal(presentStatus({ server: { kind: "starting" }, connection, lastTest: undefined }, now).text, "$(sync~spin) neon-lsp");
  });
});

describe("parsing server answers", () => {
  it("reads a test report and ignores anything else", () => {
    assert.deepEqual(parseTestResult({ ok: false, summary: "cancelled", cancelled: true }, now), {
      ok: false,
      summary: "cancelled",
      cancelled: true,
      at: now,
    });
    assert.deepEqual(parseTestResult({ ok: true }, now), { ok: true, summary: "connected", cancelled: false, at: now });
    assert.equal(parseTestResult(null, now), undefined);
    assert.equal(parseTestResult({ applied: true }, now), undefined);
  });

  it("reads a connection description; null means none applies", () => {
    assert.deepEqual(parseConnection(connection), connection);
    assert.equal(parseConnection(null), null);
    assert.equal(parseConnection({ clientType: "nodejs" }), null);
  });
});

describe("deployed status", () => {
  const running = { server: { kind: "running" as const }, connection: null, lastTest: undefined };

  it("shows the deployed client type and auth", () => {
    const deployed = parseDeployedStatus({
      root: "/w",
      text: "deployed: nodejs · secret",
      tooltip: "deployed: app-web (Microsoft.Web/sites, named by neon-lsp.toml [azure])",
      fromCache: false,
      ageSeconds: 0,
    });
    assert.ok(deployed);
    const status = presentStatus({ ...running, deployed });
    assert.ok(status.text.endsWith("$(cloud) deployed: nodejs · secret"), status.text);
    assert.ok(status.tooltip.includes("deployed: app-web (Microsoft.Web/sites"));
    assert.ok(status.tooltip.includes("Refresh Deployed Configuration"));
  });

  it("says when it comes from the cache, and how old it is", () => {
    const deployed = parseDeployedStatus({
      text: "deployed: nodejs · secret (cached, 2 h ago)",
      tooltip: "From the cache, read 2 h ago: Azure could not be read now (no answer).",
      fromCache: true,
      ageSeconds: 7200,
    });
    assert.deepEqual(deployed?.fromCache, true);
    assert.equal(deployed?.ageSeconds, 7200);
    const status = presentStatus({ ...running, deployed });
    assert.ok(status.text.includes("$(cloud-download) deployed: nodejs · secret (cached, 2 h ago)"), status.text);
  });

  it("ignores what is not a deployed status, and shows nothing without one", () => {
    assert.equal(parseDeployedStatus(null), undefined);
    assert.equal(parseDeployedStatus({ text: 3 }), undefined);
    assert.equal(parseDeployedStatus({ text: "something else" }), undefined);
    assert.ok(!presentStatus(running).text.includes("deployed"));
  });
});
