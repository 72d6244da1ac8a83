import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { documentSelector, expectedActivationEvents, SCANNED_LANGUAGES } from "../documents";
import { manifest } from "./manifest";

describe("package.json", () => {
  it("activates for every document the client sends to the server", () => {
    assert.deepEqual([...manifest.activationEvents].sort(), expectedActivationEvents().sort());
    const selector = documentSelector();
    assert.equal(selector.filter((filter) => filter.language).length, SCANNED_LANGUAGES.length);
    assert.ok(selector.some((filter) => filter.pattern === "**/.env.*"), ".env.local is plain text to VS Code");
    assert.ok(selector.every((filter) => filter.scheme === "file"));
  });

  it("mirrors neon-lsp.toml in its settings", () => {
    const properties = manifest.contributes.configuration.properties;
    for (const key of ["server.path", "target", "clientType", "auth", "envFiles", "rules", "trace.server"]) {
      assert.ok(properties[`neon-lsp.${key}`], `neon-lsp.${key}`);
    }
    // Unset must be expressible: null leaves the choice to neon-lsp.toml and inference.
    for (const key of ["target", "clientType", "auth"]) {
      assert.equal(properties[`neon-lsp.${key}`].default, null);
      assert.ok(properties[`neon-lsp.${key}`].enum?.includes(null));
    }
    for (const [rule, schema] of Object.entries(properties["neon-lsp.rules"].properties ?? {})) {
      assert.deepEqual(schema.enum, ["off", "hint", "info", "warning", "error"], rule);
    }
    assert.deepEqual(properties["neon-lsp.trace.server"].enum, ["off", "messages", "verbose"]);
  });

  it("points main at the bundle", () => {
    assert.equal(manifest.main, "./dist/extension.js");
  });
});
