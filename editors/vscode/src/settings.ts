/**
 * The editor's `neon-lsp.*` settings in the shape the server reads (the keys of neon-lsp.toml:
 * target, clientType, auth, envFiles, rules). Pure, so it is unit-tested without VS Code.
 * It does not validate values: the server does, and names the bad key in its message.
 */

/** What the server accepts in initializationOptions, workspace/configuration and didChangeConfiguration. */
export interface ServerSettings {
  target?: string;
  clientType?: string;
  auth?: string;
  envFiles?: string[];
  rules?: Record<string, string>;
  /** `neon-lsp.azure.deployed`: read the deployed configuration from Azure (off by default). */
  azure?: { deployed: boolean };
}

/** Reads one setting below `neon-lsp.` (e.g. `clientType`), undefined when unset. */
export type SettingReader = (key: string) => unknown;

/**
 * Only what the user set: an unset key must stay absent so that neon-lsp.toml and inference
 * decide, since editor settings win over the file.
 */
export function toServerSettings(read: SettingReader): ServerSettings {
  const settings: ServerSettings = {};
  const text = (key: string): string | undefined => {
    const value = read(key);
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const target = text("target");
  if (target !== undefined) settings.target = target;
  const clientType = text("clientType");
  if (clientType !== undefined) settings.clientType = clientType;
  const auth = text("auth");
  if (auth !== undefined) settings.auth = auth;
  const envFiles = read("envFiles");
  if (Array.isArray(envFiles)) {
    const names = envFiles.filter((name): name is string => typeof name === "string" && name.trim() !== "");
    if (names.length > 0) settings.envFiles = names;
  }
  const rules = read("rules");
  if (rules !== null && typeof rules === "object" && !Array.isArray(rules)) {
    const levels: Record<string, string> = {};
    for (const [rule, level] of Object.entries(rules as Record<string, unknown>)) {
      // "default" (or nothing) leaves the rule at its built-in or neon-lsp.toml severity.
      if (typeof level === "string" && level !== "" && level !== "default") levels[rule] = level;
    }
    if (Object.keys(levels).length > 0) settings.rules = levels;
  }
  if (read("azure.deployed") === true) settings.azure = { deployed: true };
  return settings;
}

/** Whether a configuration change needs a new server process rather than new settings. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return affects("neon-lsp.server.path");
}
