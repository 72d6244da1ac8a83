/**
 * Finding the `neon-lsp` binary: the `neon-lsp.server.path` setting, then the binary shipped in
 * the extension's `server/` folder, then PATH. Pure (the file system is passed in), so it is
 * unit-tested without VS Code. It does not start the server or talk to the user.
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
  /** Where the extension is installed; the bundled binary is `<extensionPath>/server/neon-lsp`. */
  extensionPath: string;
  /** The PATH environment variable. */
  pathVariable: string | undefined;
  platform: NodeJS.Platform;
  homeDirectory: string;
  /** The first workspace folder, against which a relative setting is resolved. */
  workspaceFolder: string | undefined;
  /** True when `file` exists, is a regular file and may be executed. */
  isExecutable(file: string): boolean;
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
  const bundled = pathModule.join(lookup.extensionPath, "server", name);
  if (lookup.isExecutable(bundled)) {
    return { path: bundled, source: "bundled" };
  }
  const separator = lookup.platform === "win32" ? ";" : ":";
  const folders = (lookup.pathVariable ?? "").split(separator).filter((folder) => folder !== "");
  for (const folder of folders) {
    const candidate = pathModule.join(folder, name);
    if (lookup.isExecutable(candidate)) {
      return { path: candidate, source: "PATH" };
    }
  }
  throw new ServerNotFoundError(
    `The neon-lsp language server was not found: not in the setting neon-lsp.server.path, not bundled at ${bundled}, ` +
      `and not on PATH (${folders.length} folders searched). Install it with "cargo install --path <neon-lsp checkout>" ` +
      "(it lands in ~/.cargo/bin), or set neon-lsp.server.path to the binary, then run \"Neon LSP: Restart Server\".",
    false,
  );
}
