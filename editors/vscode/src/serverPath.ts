/**
 * Finding the `neon-lsp` binary: the `neon-lsp.server.path` setting (only the user's own in an
 * untrusted workspace), then the binary shipped for this platform in the extension's
 * `server/<target>/` folder (one per `vsce package --target`), then PATH. Pure (the file system
 * is passed in), so it is unit-tested without VS Code. It does not start the server or talk to
 * the user.
 */
import * as path from "node:path";

export type ServerSource = "setting" | "bundled" | "PATH";

export interface ServerLocation {
  path: string;
  source: ServerSource;
}

export interface ServerLookup {
  /** The `neon-lsp.server.path` setting, as written (may be empty, relative or start with ~). */
  configuredPath: string | undefined;
  /** Where the extension is installed; the bundled binary is `<extensionPath>/server/<target>/neon-lsp`. */
  extensionPath: string;
  /** The PATH environment variable. */
  pathVariable: string | undefined;
  platform: NodeJS.Platform;
  /** `process.arch`. */
  arch: string;
  /** Linux with musl libc (Alpine): the `alpine-*` targets come first. */
  musl?: boolean;
  homeDirectory: string;
  /** The first workspace folder, against which a relative setting is resolved. */
  workspaceFolder: string | undefined;
  /** True when `file` exists, is a regular file and may be executed. */
  isExecutable(file: string): boolean;
  /** The folders in `<extensionPath>/server/` (the targets this package carries), for messages. */
  bundledTargets?: readonly string[];
}

/** The `vsce package --target` names the Marketplace and Open VSX know. */
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
] as const;

export type PackageTarget = (typeof PACKAGE_TARGETS)[number];

/**
 * The package targets whose binary runs here, best first: on Linux both the glibc and the
 * Alpine (musl) builds are tried (a musl build is static and runs on either). Empty for a
 * platform no target covers (FreeBSD, 32-bit x86, …).
 */
export function packageTargets(platform: NodeJS.Platform, arch: string, musl = false): PackageTarget[] {
  const cpu = arch === "arm" ? "armhf" : arch;
  const candidates: string[] =
    platform === "linux"
      ? musl
        ? [`alpine-${cpu}`, `linux-${cpu}`]
        : [`linux-${cpu}`, `alpine-${cpu}`]
      : [`${platform}-${cpu}`];
  return candidates.filter((target): target is PackageTarget => (PACKAGE_TARGETS as readonly string[]).includes(target));
}

/** The parts of `configuration.inspect("server.path")` that matter, as VS Code reports them. */
export interface InspectedSetting {
  globalValue?: string;
  workspaceValue?: string;
  workspaceFolderValue?: string;
}

export interface EffectiveServerPath {
  /** The value to use (undefined: not set). */
  value: string | undefined;
  /** A workspace's value that was not used because the workspace is not trusted. */
  ignoredWorkspaceValue?: string;
}

/**
 * The server path to run. A workspace may not choose the binary the editor executes until the
 * user trusts it (Workspace Trust; package.json declares the setting restricted): in an
 * untrusted workspace only the user's own setting counts, and an ignored workspace value is
 * reported so the user can be told why.
 */
export function effectiveServerPath(inspected: InspectedSetting | undefined, trusted: boolean): EffectiveServerPath {
  const present = (value: string | undefined) => (value !== undefined && value.trim() !== "" ? value : undefined);
  const fromWorkspace = present(inspected?.workspaceFolderValue) ?? present(inspected?.workspaceValue);
  const fromUser = present(inspected?.globalValue);
  if (trusted) return { value: fromWorkspace ?? fromUser };
  // The user's own setting may still name a file inside the workspace (relative, or through
  // ${workspaceFolder}): that file is the workspace's, so it waits for trust too.
  if (fromUser !== undefined && pointsIntoWorkspace(fromUser)) {
    return { value: undefined, ignoredWorkspaceValue: fromWorkspace ?? fromUser };
  }
  return fromWorkspace === undefined ? { value: fromUser } : { value: fromUser, ignoredWorkspaceValue: fromWorkspace };
}

/** A setting resolved against the workspace folder (see expandConfiguredPath). */
function pointsIntoWorkspace(configured: string): boolean {
  const value = configured.trim();
  if (value.includes("${workspaceFolder}")) return true;
  return !(value.startsWith("~") || path.posix.isAbsolute(value) || path.win32.isAbsolute(value));
}

/** No usable binary; `message` says what was tried and what to do. */
export class ServerNotFoundError extends Error {
  constructor(
    message: string,
    /** True when the setting points at nothing: the fix is the setting, not an install. */
    readonly settingIsWrong: boolean,
  ) {
    super(message);
    this.name = "ServerNotFoundError";
  }
}

export function executableName(platform: NodeJS.Platform): string {
  return platform === "win32" ? "neon-lsp.exe" : "neon-lsp";
}

/** `~/x` → home + x; `${workspaceFolder}/x` and relative paths → against the workspace folder. */
export function expandConfiguredPath(
  configured: string,
  lookup: Pick<ServerLookup, "homeDirectory" | "workspaceFolder" | "platform">,
): string {
  const pathModule = lookup.platform === "win32" ? path.win32 : path.posix;
  let expanded = configured.trim();
  if (expanded === "~" || expanded.startsWith("~/") || expanded.startsWith("~\\")) {
    expanded = pathModule.join(lookup.homeDirectory, expanded.slice(1));
  }
  if (expanded.includes("${workspaceFolder}")) {
    if (lookup.workspaceFolder === undefined) {
      return expanded;
    }
    expanded = expanded.split("${workspaceFolder}").join(lookup.workspaceFolder);
  }
  if (!pathModule.isAbsolute(expanded) && lookup.workspaceFolder !== undefined) {
    expanded = pathModule.resolve(lookup.workspaceFolder, expanded);
  }
  return expanded;
}

export function findServer(lookup: ServerLookup): ServerLocation {
  const name = executableName(lookup.platform);
  const pathModule = lookup.platform === "win32" ? path.win32 : path.posix;
  const configured = lookup.configuredPath?.trim();
  if (configured) {
    const expanded = expandConfiguredPath(configured, lookup);
    if (lookup.isExecutable(expanded)) {
      return { path: expanded, source: "setting" };
    }
    // A wrong setting is a mistake to fix, not a reason to quietly run some other binary.
    throw new ServerNotFoundError(
      `The setting neon-lsp.server.path is "${configured}", but no executable file is at ${expanded}. ` +
        "Point it at the neon-lsp binary, or clear it to use the bundled server or the one on PATH.",
      true,
    );
  }
  const targets = packageTargets(lookup.platform, lookup.arch, lookup.musl);
  for (const target of targets) {
    const bundled = pathModule.join(lookup.extensionPath, "server", target, name);
    if (lookup.isExecutable(bundled)) {
      return { path: bundled, source: "bundled" };
    }
  }
  const here = targets[0] ?? `${lookup.platform}-${lookup.arch}`;
  const carried = (lookup.bundledTargets ?? []).filter((target) => target !== "");
  const bundledNote =
    carried.length > 0
      ? `this package carries a server for ${carried.join(", ")} only, not for ${here} (install the extension built for ${here}: "vsce package --target ${here}" or the Marketplace's ${here} download)`
      : `not bundled for ${here} at ${pathModule.join(lookup.extensionPath, "server", here, name)}`;
  const separator = lookup.platform === "win32" ? ";" : ":";
  const folders = (lookup.pathVariable ?? "").split(separator).filter((folder) => folder !== "");
  for (const folder of folders) {
    const candidate = pathModule.join(folder, name);
    if (lookup.isExecutable(candidate)) {
      return { path: candidate, source: "PATH" };
    }
  }
  throw new ServerNotFoundError(
    `The neon-lsp language server was not found: not in the setting neon-lsp.server.path, ${bundledNote}, ` +
      `and not on PATH (${folders.length} folders searched). Install it with "cargo install --path <neon-lsp checkout>" ` +
      "(it lands in ~/.cargo/bin), or set neon-lsp.server.path to the binary, then run \"Neon LSP: Restart Server\".",
    false,
  );
}
