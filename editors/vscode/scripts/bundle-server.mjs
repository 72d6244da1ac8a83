#!/usr/bin/env node
// Puts a neon-lsp binary where the extension built for one platform looks for it:
// server/<target>/neon-lsp (neon-lsp.exe on Windows), stripped of its symbols (a debug-symbol
// laden binary made the .vsix 19 MB). Then `npm run package` makes one .vsix per bundled target.
//
//   cargo build --release --locked                     # in the repository
//   npm run bundle-server                               # this machine's target, target/release/neon-lsp
//   npm run bundle-server -- --target linux-arm64 --binary ../../target/aarch64-unknown-linux-gnu/release/neon-lsp
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { binaryName, hostTarget, PACKAGE_TARGETS } from "./targets.mjs";

const extension = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repository = path.resolve(extension, "..", "..");

function fail(message) {
  console.error(`bundle-server: ${message}`);
  process.exit(1);
}

function option(name) {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return undefined;
  const value = process.argv[index + 1];
  if (value === undefined || value.startsWith("--")) fail(`--${name} needs a value`);
  return value;
}

const target = option("target") ?? hostTarget();
if (!PACKAGE_TARGETS.includes(target)) fail(`unknown target "${target}"; one of ${PACKAGE_TARGETS.join(", ")}`);
const cargoTarget = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(repository, "target");
const binary = path.resolve(option("binary") ?? path.join(cargoTarget, "release", binaryName(target)));
if (!fs.existsSync(binary)) {
  fail(`no binary at ${binary}: build it first (cargo build --release --locked), or pass --binary <path>`);
}

const folder = path.join(extension, "server", target);
fs.mkdirSync(folder, { recursive: true });
const bundled = path.join(folder, binaryName(target));
fs.copyFileSync(binary, bundled);
fs.chmodSync(bundled, 0o755);
const before = fs.statSync(bundled).size;

// GNU strip reads ELF and PE; a Mach-O binary needs the macOS strip. Cargo can also do it
// (CARGO_PROFILE_RELEASE_STRIP=symbols), and then there is nothing left to strip here.
const strip = process.env.STRIP ?? "strip";
const args = process.platform === "darwin" ? ["-x", bundled] : ["--strip-all", bundled];
const stripped = spawnSync(strip, args, { encoding: "utf8" });
if (stripped.error || stripped.status !== 0) {
  const why = stripped.error ? stripped.error.message : stripped.stderr.trim();
  console.warn(
    `bundle-server: could not strip ${bundled} with ${strip} (${why}); build with CARGO_PROFILE_RELEASE_STRIP=symbols or set STRIP to a strip for ${target}`,
  );
}
const after = fs.statSync(bundled).size;
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
console.log(`bundle-server: ${path.relative(extension, bundled)} (${mb(before)} → ${mb(after)} stripped) for ${target}`);
