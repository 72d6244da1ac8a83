import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { manifest } from "./manifest";
import {
  effectiveServerPath,
  executableName,
  expandConfiguredPath,
  findServer,
  PACKAGE_TARGETS,
  packageTargets,
  ServerLookup,
  ServerNotFoundError,
} from "../serverPath";

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
      arch: "x64",
      homeDirectory: path.join(root, "home"),
      workspaceFolder: path.join(root, "workspace"),
      isExecutable: isExecutableOnDisk,
    };
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("prefers the setting over the bundled binary and PATH", () => {
    const configured = makeBinary("custom/neon-lsp");
    makeBinary("extension/server/linux-x64/neon-lsp");
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
    const bundled = makeBinary("extension/server/linux-x64/neon-lsp");
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
    const bundled = makeBinary("extension/server/linux-x64/neon-lsp");
    assert.equal(findServer({ ...lookup, configuredPath: "   " }).path, bundled);
  });

  it("says what was tried and how to install when nothing is found", () => {
    assert.throws(
      () => findServer(lookup),
      (error: unknown) =>
        error instanceof ServerNotFoundError &&
        !error.settingIsWrong &&
        error.message.includes(path.join(lookup.extensionPath, "server", "linux-x64", "neon-lsp")) &&
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
    assert.deepEqual(seen, ["C:\\ext\\server\\win32-x64\\neon-lsp.exe", "C:\\tools\\neon-lsp.exe", "D:\\bin\\neon-lsp.exe"]);
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

  it("finds its own platform's binary among every package target's", () => {
    // One .vsix per target, each with server/<target>/; here all of them at once, so picking
    // the wrong one would show.
    for (const target of PACKAGE_TARGETS) {
      makeBinary(`extension/server/${target}/${target.startsWith("win32") ? "neon-lsp.exe" : "neon-lsp"}`);
    }
    const cases: [NodeJS.Platform, string, boolean, string][] = [
      ["linux", "x64", false, "linux-x64"],
      ["linux", "arm64", false, "linux-arm64"],
      ["linux", "arm", false, "linux-armhf"],
      ["linux", "x64", true, "alpine-x64"],
      ["linux", "arm64", true, "alpine-arm64"],
      ["darwin", "x64", false, "darwin-x64"],
      ["darwin", "arm64", false, "darwin-arm64"],
    ];
    for (const [platform, arch, musl, target] of cases) {
      const found = findServer({ ...lookup, platform, arch, musl });
      assert.deepEqual(found, { path: path.join(root, "extension", "server", target, "neon-lsp"), source: "bundled" }, `${platform} ${arch}`);
    }
    for (const arch of ["x64", "arm64"]) {
      const expected = `C:\\ext\\server\\win32-${arch}\\neon-lsp.exe`;
      const found = findServer({ ...lookup, platform: "win32", arch, extensionPath: "C:\\ext", pathVariable: "", isExecutable: (file) => file === expected });
      assert.deepEqual(found, { path: expected, source: "bundled" });
    }
  });

  it("maps Node's platform and arch to the vsce targets, the libc's own build first", () => {
    assert.deepEqual(packageTargets("linux", "x64"), ["linux-x64", "alpine-x64"]);
    assert.deepEqual(packageTargets("linux", "x64", true), ["alpine-x64", "linux-x64"]);
    assert.deepEqual(packageTargets("linux", "arm"), ["linux-armhf"]);
    assert.deepEqual(packageTargets("win32", "arm64"), ["win32-arm64"]);
    assert.deepEqual(packageTargets("darwin", "arm64"), ["darwin-arm64"]);
    assert.deepEqual(packageTargets("freebsd", "x64"), []);
    assert.deepEqual(packageTargets("linux", "ia32"), []);
  });

  it("a musl build runs where glibc's is missing", () => {
    const alpine = makeBinary("extension/server/alpine-x64/neon-lsp");
    assert.deepEqual(findServer(lookup), { path: alpine, source: "bundled" });
  });

  it("says which platform it lacks when the package carries another's server", () => {
    makeBinary("extension/server/darwin-arm64/neon-lsp");
    assert.throws(
      () => findServer({ ...lookup, arch: "arm64", bundledTargets: ["darwin-arm64"] }),
      (error: unknown) =>
        error instanceof ServerNotFoundError &&
        !error.settingIsWrong &&
        error.message.includes("carries a server for darwin-arm64 only, not for linux-arm64") &&
        error.message.includes("vsce package --target linux-arm64") &&
        error.message.includes("cargo install") &&
        error.message.includes("neon-lsp.server.path"),
    );
    assert.throws(
      () => findServer({ ...lookup, platform: "freebsd", arch: "x64" }),
      (error: unknown) => error instanceof ServerNotFoundError && error.message.includes("freebsd-x64"),
    );
  });
});

describe("effectiveServerPath (Workspace Trust)", () => {
  it("uses the workspace's setting, then the user's, in a trusted workspace", () => {
    assert.deepEqual(effectiveServerPath({ globalValue: "/usr/bin/neon-lsp", workspaceValue: "./bin/neon-lsp" }, true), {
      value: "./bin/neon-lsp",
    });
    assert.deepEqual(effectiveServerPath({ globalValue: "/usr/bin/neon-lsp", workspaceFolderValue: "./tools/neon-lsp" }, true), {
      value: "./tools/neon-lsp",
    });
    assert.deepEqual(effectiveServerPath({ globalValue: "/usr/bin/neon-lsp" }, true), { value: "/usr/bin/neon-lsp" });
    assert.deepEqual(effectiveServerPath(undefined, true), { value: undefined });
  });

  it("ignores a workspace's server path in an untrusted workspace, and says which", () => {
    // A cloned repository must not choose the binary the editor runs before it is trusted.
    assert.deepEqual(effectiveServerPath({ workspaceValue: "./evil.sh" }, false), { value: undefined, ignoredWorkspaceValue: "./evil.sh" });
    assert.deepEqual(effectiveServerPath({ globalValue: "~/.cargo/bin/neon-lsp", workspaceFolderValue: "./evil.sh" }, false), {
      value: "~/.cargo/bin/neon-lsp",
      ignoredWorkspaceValue: "./evil.sh",
    });
    assert.deepEqual(effectiveServerPath({ globalValue: "~/.cargo/bin/neon-lsp" }, false), { value: "~/.cargo/bin/neon-lsp" });
    assert.deepEqual(effectiveServerPath({ workspaceValue: "  " }, false), { value: undefined });
    // The user's own setting that names a file inside the workspace waits for trust as well.
    for (const inside of ["${workspaceFolder}/bin/neon-lsp", "bin/neon-lsp", "./neon-lsp"]) {
      assert.deepEqual(effectiveServerPath({ globalValue: inside }, false), { value: undefined, ignoredWorkspaceValue: inside }, inside);
      assert.deepEqual(effectiveServerPath({ globalValue: inside }, true), { value: inside }, inside);
    }
    assert.deepEqual(effectiveServerPath({ globalValue: "C:\\tools\\neon-lsp.exe" }, false), { value: "C:\\tools\\neon-lsp.exe" });
  });

  it("package.json declares the setting restricted, so VS Code agrees", () => {
    const trust = manifest.capabilities?.untrustedWorkspaces;
    assert.equal(trust?.supported, "limited");
    assert.deepEqual(trust?.restrictedConfigurations, ["neon-lsp.server.path"]);
    assert.ok((trust?.description ?? "").includes("neon-lsp.server.path"));
  });
});
