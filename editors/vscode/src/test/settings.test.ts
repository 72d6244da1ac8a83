import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { needsRestart, toServerSettings } from "../settings";

const reader = (values: Record<string, unknown>) => (key: string) => values[key];

describe("toServerSettings", () => {
  it("leaves out everything the user did not set, so neon-lsp.toml and inference decide", () => {
    assert.deepEqual(
      toServerSettings(reader({ target: null, clientType: null, auth: null, envFiles: [], rules: {}, server: { path: "" } })),
      {},
    );
    assert.deepEqual(toServerSettings(reader({})), {});
  });

  it("passes the neon-lsp.toml keys the server reads", () => {
    assert.deepEqual(
      toServerSettings(
        reader({
          target: "azure-postgresql",
          clientType: "django",
          auth: "user-identity",
          envFiles: [".env", ".env.test"],
          rules: { "unused-env-variable": "off", "tls-disabled": "warning" },
        }),
      ),
      {
        target: "azure-postgresql",
        clientType: "django",
        auth: "user-identity",
        envFiles: [".env", ".env.test"],
        rules: { "unused-env-variable": "off", "tls-disabled": "warning" },
      },
    );
  });

  it("drops blank values and rules left at their default", () => {
    assert.deepEqual(
      toServerSettings(reader({ clientType: "  ", envFiles: ["", 3, ".env.local"], rules: { "duplicate-key": "default", "env-syntax": "" } })),
      { envFiles: [".env.local"] },
    );
  });

  it("hands unknown values to the server, which names them in its error", () => {
    assert.deepEqual(toServerSettings(reader({ clientType: "nodejs2", rules: { "no-such-rule": "off" } })), {
      clientType: "nodejs2",
      rules: { "no-such-rule": "off" },
    });
  });

  it("ignores values of the wrong shape", () => {
    assert.deepEqual(toServerSettings(reader({ target: 1, envFiles: ".env", rules: ["off"] })), {});
  });
});

describe("needsRestart", () => {
  it("restarts only for a new server path", () => {
    assert.equal(needsRestart((section) => section === "neon-lsp.server.path"), true);
    assert.equal(needsRestart((section) => section === "neon-lsp.clientType"), false);
  });
});

describe("azure.deployed", () => {
  it("is passed only when turned on, as the nested object the server reads", () => {
    assert.deepEqual(toServerSettings(reader({ "azure.deployed": true })), { azure: { deployed: true } });
    assert.deepEqual(toServerSettings(reader({ "azure.deployed": false })), {});
  });
});
