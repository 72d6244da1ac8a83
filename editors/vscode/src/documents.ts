/**
 * Which documents the server is told about: the languages neon-lsp scans, .env files (which VS
 * Code calls "properties", "dotenv" or plain text depending on the name and extensions
 * installed) and neon-lsp.toml. package.json's activation events mirror this list; a unit test
 * keeps them in step.
 */

/** VS Code language ids of the languages the server scans. */
export const SCANNED_LANGUAGES: readonly string[] = [
  "python",
  "javascript",
  "javascriptreact",
  "typescript",
  "typescriptreact",
  "go",
  "csharp",
  "java",
  "kotlin",
  "php",
  "ruby",
  "shellscript",
  "dockerfile",
  "yaml",
  "properties",
  "dotenv",
  "bicep",
  "terraform",
  "powershell",
];

/** Files that matter whatever language VS Code gives them. */
export const WATCHED_FILE_PATTERNS: readonly string[] = ["**/.env", "**/.env.*", "**/*.env", "**/neon-lsp.toml"];

export interface DocumentFilter {
  scheme: string;
  language?: string;
  pattern?: string;
}

export function documentSelector(): DocumentFilter[] {
  return [
    ...SCANNED_LANGUAGES.map((language) => ({ scheme: "file", language })),
    ...WATCHED_FILE_PATTERNS.map((pattern) => ({ scheme: "file", pattern })),
  ];
}

/** The activation events package.json must declare for the selector above. */
export function expectedActivationEvents(): string[] {
  return [
    ...SCANNED_LANGUAGES.map((language) => `onLanguage:${language}`),
    ...WATCHED_FILE_PATTERNS.map((pattern) => `workspaceContains:${pattern}`),
  ];
}
