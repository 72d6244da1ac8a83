// The vsce package targets (as src/serverPath.ts lists them) and the server binary's name in each.
export const PACKAGE_TARGETS = [
  "win32-x64",
  "win32-arm64",
  "linux-x64",
  "linux-arm64",
  "linux-armhf",
  "alpine-x64",
  "alpine-arm64",
  "darwin-x64",
  "darwin-arm64",
];

export function binaryName(target) {
  return target.startsWith("win32-") ? "neon-lsp.exe" : "neon-lsp";
}

/** This machine's target (a glibc Linux is linux-*, not alpine-*). */
export function hostTarget() {
  const arch = process.arch === "arm" ? "armhf" : process.arch;
  return `${process.platform}-${arch}`;
}
