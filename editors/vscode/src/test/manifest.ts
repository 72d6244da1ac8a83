/** The extension's package.json, read from disk as VS Code reads it. */
import * as fs from "node:fs";
import * as path from "node:path";

export interface Manifest {
  main: string;
  capabilities?: {
    untrustedWorkspaces?: { supported: boolean | "limited"; description?: string; restrictedConfigurations?: string[] };
  };
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: { commandPalette: { command: string; when: string }[] };
    configuration: { properties: Record<string, { type: unknown; enum?: unknown[]; default?: unknown; properties?: Record<string, { enum?: string[] }> }> };
  };
}

// Compiled tests run from out/test/; package.json is two folders up.
export const manifest: Manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
