import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { argumentsFor, CLIENT_COMMANDS, explicitArguments, SERVER_COMMANDS, unsupportedMessage } from "../commands";
import { manifest } from "./manifest";

const file = "file:///work/app/src/db.js";
const folder = "file:///work/app";

describe("argumentsFor", () => {
  it("sends the connection test the active file, else the folder", () => {
    assert.deepEqual(argumentsFor(SERVER_COMMANDS.testConnection, { documentUri: file, folderUri: folder }), { ok: true, arguments: [{ uri: file }] });
    assert.deepEqual(argumentsFor(SERVER_COMMANDS.testConnection, { folderUri: folder }), { ok: true, arguments: [{ uri: folder }] });
    const nothing = argumentsFor(SERVER_COMMANDS.testConnection, {});
    assert.equal(nothing.ok, false);
  });

  it("inserts the snippet at the cursor of the active file, and needs one", () => {
    const position = { line: 4, character: 2 };
    assert.deepEqual(argumentsFor(SERVER_COMMANDS.insertSnippet, { documentUri: file, position, folderUri: folder }), {
      ok: true,
      arguments: [{ uri: file, position }],
    });
    const without = argumentsFor(SERVER_COMMANDS.insertSnippet, { folderUri: folder });
    assert.ok(!without.ok && without.message.includes("Open the source file"));
  });

  it("pulls into the workspace folder", () => {
    assert.deepEqual(argumentsFor(SERVER_COMMANDS.pullConnection, { documentUri: file, folderUri: folder }), { ok: true, arguments: [{ uri: folder }] });
    assert.deepEqual(argumentsFor(SERVER_COMMANDS.pullConnection, { documentUri: file }), { ok: true, arguments: [{ uri: file }] });
  });

  it("signs in and out without arguments", () => {
    assert.deepEqual(argumentsFor(SERVER_COMMANDS.signIn, {}), { ok: true, arguments: [] });
    assert.deepEqual(argumentsFor(SERVER_COMMANDS.signOut, { documentUri: file }), { ok: true, arguments: [] });
  });

  it("finishes a sign-in with the pasted address, trimmed, and asks for one when none was pasted", () => {
    const address = "http://127.0.0.1:43123/callback?code=abc&state=xyz";
    assert.deepEqual(argumentsFor(SERVER_COMMANDS.signInWithRedirect, { pastedAddress: `  ${address}\n` }), {
      ok: true,
      arguments: [{ url: address }],
    });
    for (const pastedAddress of [undefined, "", "   "]) {
      const asked = argumentsFor(SERVER_COMMANDS.signInWithRedirect, { documentUri: file, pastedAddress });
      assert.ok(!asked.ok && asked.message.includes("Paste the address"), JSON.stringify(asked));
    }
  });
});

describe("the command table", () => {
  it("has every command the issue asks for, none named like a server command", () => {
    const titles = CLIENT_COMMANDS.map((command) => command.title);
    for (const title of ["Test Connection", "Insert Connection Snippet", "Sign in to Neon", "Sign out of Neon", "Pull Connection Details", "Restart Server", "Show Output"]) {
      assert.ok(titles.includes(title), title);
    }
    const serverIds: string[] = Object.values(SERVER_COMMANDS);
    for (const command of CLIENT_COMMANDS) assert.ok(!serverIds.includes(command.id), command.id);
  });

  it("matches package.json: every command contributed, palette entries gated on what the server advertises", () => {
    const contributed = manifest.contributes.commands.map((command) => [command.command, command.title]);
    assert.deepEqual(contributed, CLIENT_COMMANDS.map((command) => [command.id, command.title]));
    const palette = Object.fromEntries(manifest.contributes.menus.commandPalette.map((entry) => [entry.command, entry.when]));
    for (const command of CLIENT_COMMANDS) {
      assert.equal(palette[command.id], command.contextKey, command.id);
    }
    assert.equal(
      CLIENT_COMMANDS.find((command) => command.server === SERVER_COMMANDS.signIn)?.contextKey,
      "neonLsp.supports.signIn",
    );
  });
});

describe("unsupportedMessage", () => {
  it("names the command, the server and what it offers", () => {
    const signIn = CLIENT_COMMANDS.find((command) => command.server === SERVER_COMMANDS.signIn)!;
    const message = unsupportedMessage(signIn, ["neon-lsp.testConnection", "neon-lsp.insertSnippet"], {
      name: "neon-lsp",
      version: "0.1.0",
      path: "/usr/local/bin/neon-lsp",
    });
    assert.equal(
      message,
      '"Sign in to Neon" is not supported by this server: neon-lsp 0.1.0 (/usr/local/bin/neon-lsp) does not advertise neon-lsp.signIn; it offers neon-lsp.testConnection, neon-lsp.insertSnippet. Update neon-lsp, then run "Neon LSP: Restart Server".',
    );
    assert.ok(unsupportedMessage(signIn, [], {}).includes("it offers no commands"));
  });
});

describe("explicitArguments", () => {
  it("forwards a caller's server arguments", () => {
    const argument = { uri: file, connection: "ANALYTICS" };
    assert.deepEqual(explicitArguments([argument]), [argument]);
  });

  it("ignores what VS Code passes on its own", () => {
    assert.equal(explicitArguments([]), undefined);
    // An explorer menu passes a vscode.Uri: an object whose uri is not a string.
    assert.equal(explicitArguments([{ scheme: "file", path: "/work/app/.env" }]), undefined);
    assert.equal(explicitArguments([{ uri: "/work/app/.env" }]), undefined, "a path is not a URI");
    assert.equal(explicitArguments([{ uri: file }, [{ uri: file }]]), undefined);
    assert.equal(explicitArguments(["file:///work/app/.env"]), undefined);
  });
});
