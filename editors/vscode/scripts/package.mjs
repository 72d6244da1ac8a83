#!/usr/bin/env node
// Packages the extension as the Marketplace and Open VSX expect platform-specific extensions:
// one `vsce package --target <target>` .vsix per server bundled under server/<target>/
// (scripts/bundle-server.mjs), each carrying only its own binary, named neon-lsp-<target>.vsix;
// plus neon-lsp.vsix without a server (it runs the one the setting or PATH names), for platforms
// without a build and for development.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { binaryName, PACKAGE_TARGETS } from "./targets.mjs";

const extension = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const vsce = path.join(extension, "node_modules", ".bin", process.platform === "win32" ? "vsce.cmd" : "vsce");
const common = ["package", "--no-dependencies", "--skip-license", "--allow-missing-repository"];
const baseIgnore = fs.readFileSync(path.join(extension, ".vscodeignore"), "utf8");

function run(args) {
  const result = spawnSync(vsce, args, { cwd: extension, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const serverRoot = path.join(extension, "server");
const unknown = fs.existsSync(serverRoot)
  ? fs.readdirSync(serverRoot).filter((entry) => !PACKAGE_TARGETS.includes(entry))
  : [];
if (unknown.length > 0) {
  console.error(`package: server/ holds ${unknown.join(", ")}, which are not package targets (${PACKAGE_TARGETS.join(", ")}); use npm run bundle-server`);
  process.exit(1);
}
const bundled = PACKAGE_TARGETS.filter((target) => fs.existsSync(path.join(serverRoot, target, binaryName(target))));

run([...common, "--out", "neon-lsp.vsix"]);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "neon-lsp-vsce-"));
try {
  for (const target of bundled) {
    const ignore = path.join(scratch, `${target}.vscodeignore`);
    fs.writeFileSync(ignore, `${baseIgnore}!server/${target}/${binaryName(target)}\n`);
    run([...common, "--target", target, "--ignoreFile", ignore, "--out", `neon-lsp-${target}.vsix`]);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
console.log(
  bundled.length > 0
    ? `package: neon-lsp.vsix (no server) and ${bundled.map((target) => `neon-lsp-${target}.vsix`).join(", ")}`
    : "package: neon-lsp.vsix (no server bundled: npm run bundle-server adds this platform's)",
);
