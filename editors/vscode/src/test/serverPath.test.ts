import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { executableName, expandConfiguredPath, findServer, ServerLookup, ServerNotFoundError } from "../serverPath";

/** A real directory tree with real executable bits, checked the way the extension checks them. */
function isExecutableOnDisk(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

describe("findServer", () => {
  let root: string;
  let lookup: ServerLookup;

  function makeBinary(relative: string, mode = 0o755): string {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "#!/bin/sh\n");
    fs.chmodSync(file, mode);
    return file;
  }

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "neon-lsp-server-path-"));
    lookup = {
      configuredPath: undefined,
      extensionPath: path.join(root, "extension"),
      pathVariable: [path.join(root, "bin-a"), path.join(root, "bin-b")].join(":"),
      platform: "linux",
      homeDirectory: path.join(root, "home"),
      workspaceFolder: path.join(root, "workspace"),
      isExecutable: isExecutableOnDisk,
    };
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("prefers the setting over the bundled binary and PATH", () => {
    const configured = makeBinary("custom/neon-lsp");
    makeBinary("extension/server/neon-lsp");
    makeBinary("bin-a/neon-lsp");
    assert.deepEqual(findServer({ ...lookup, configuredPath: configured }), { path: configured, source: "setting" });
  });

  it("resolves a relative setting, ${workspaceFolder} and ~ ", () => {
    const inWorkspace = makeBinary("workspace/tools/neon-lsp");
    assert.equal(findServer({ ...lookup, configuredPath: "tools/neon-lsp" }).path, inWorkspace);
    assert.equal(findServer({ ...lookup, configuredPath: "${workspaceFolder}/tools/neon-lsp" }).path, inWorkspace);
    const inHome = makeBinary("home/.cargo/bin/neon-lsp");
    assert.equal(findServer({ ...lookup, configuredPath: "~/.cargo/bin/neon-lsp" }).path, inHome);
  });

  it("reports a setting that points at nothing instead of quietly using another binary", () => {
    makeBinary("bin-a/neon-lsp");
    assert.throws(
      () => findServer({ ...lookup, configuredPath: "/nowhere/neon-lsp" }),
      (error: unknown) =>
        error instanceof ServerNotFoundError &&
        error.settingIsWrong &&
        error.message.includes('neon-lsp.server.path is "/nowhere/neon-lsp"') &&
        error.message.includes("clear it"),
    );
  });

  it("does not accept a file without the executable bit", () => {
    const file = makeBinary("custom/neon-lsp", 0o644);
    assert.throws(() => findServer({ ...lookup, configuredPath: file }), ServerNotFoundError);
  });

  it("uses the binary shipped in the extension before PATH", () => {
    const bundled = makeBinary("extension/server/neon-lsp");
    makeBinary("bin-a/neon-lsp");
    assert.deepEqual(findServer(lookup), { path: bundled, source: "bundled" });
  });

  it("searches PATH in order, skipping folders without the binary", () => {
    const second = makeBinary("bin-b/neon-lsp");
    assert.deepEqual(findServer(lookup), { path: second, source: "PATH" });
    const first = makeBinary("bin-a/neon-lsp");
    assert.deepEqual(findServer(lookup), { path: first, source: "PATH" });
  });

  it("an empty setting means: not set", () => {
    const bundled = makeBinary("extension/server/neon-lsp");
    assert.equal(findServer({ ...lookup, configuredPath: "   " }).path, bundled);
  });

  it("says what was tried and how to install when nothing is found", () => {
    assert.throws(
      () => findServer(lookup),
      (error: unknown) =>
        error instanceof ServerNotFoundError &&
        !error.settingIsWrong &&
        error.message.includes(path.join(lookup.extensionPath, "server", "neon-lsp")) &&
        error.message.includes("2 folders searched") &&
        error.message.includes("cargo install") &&
        error.message.includes("neon-lsp.server.path"),
    );
  });

  it("looks for neon-lsp.exe along a ;-separated PATH on Windows", () => {
    const seen: string[] = [];
    const found = findServer({
      ...lookup,
      platform: "win32",
      extensionPath: "C:\\ext",
      pathVariable: "C:\\tools;D:\\bin",
      workspaceFolder: "C:\\work",
      isExecutable: (file) => {
        seen.push(file);
        return file === "D:\\bin\\neon-lsp.exe";
      },
    });
    assert.deepEqual(found, { path: "D:\\bin\\neon-lsp.exe", source: "PATH" });
    assert.deepEqual(seen, ["C:\\ext\\server\\neon-lsp.exe", "C:\\tools\\neon-lsp.exe", "D:\\bin\\neon-lsp.exe"]);
    assert.equal(executableName("win32"), "neon-lsp.exe");
    assert.equal(executableName("darwin"), "neon-lsp");
  });

  it("expands paths with the platform's rules", () => {
    assert.equal(
      expandConfiguredPath("bin\\neon-lsp.exe", { homeDirectory: "C:\\Users\\me", workspaceFolder: "C:\\work", platform: "win32" }),
      "C:\\work\\bin\\neon-lsp.exe",
    );
    assert.equal(expandConfiguredPath("~", { homeDirectory: "/home/me", workspaceFolder: undefined, platform: "linux" }), "/home/me");
    // Without a workspace a relative path stays as written (and is then reported as not found).
    assert.equal(expandConfiguredPath("bin/neon-lsp", { homeDirectory: "/home/me", workspaceFolder: undefined, platform: "linux" }), "bin/neon-lsp");
  });
});
