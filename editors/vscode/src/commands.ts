/**
 * The extension's commands and the server commands they forward to, with the arguments each
 * server command takes. Pure, so it is unit-tested without VS Code. No command is implemented
 * here: the server does the work (connection test, snippet, sign-in, pull); this module only
 * decides what to send and what to say when the server cannot do it.
 */

export const SERVER_COMMANDS = {
  testConnection: "neon-lsp.testConnection",
  insertSnippet: "neon-lsp.insertSnippet",
  signIn: "neon-lsp.signIn",
  signInWithRedirect: "neon-lsp.signInWithRedirect",
  signOut: "neon-lsp.signOut",
  pullConnection: "neon-lsp.pullConnection",
  describeConnection: "neon-lsp.describeConnection",
  refreshDeployed: "neon-lsp.refreshDeployed",
} as const;

export type ServerCommand = (typeof SERVER_COMMANDS)[keyof typeof SERVER_COMMANDS];

export interface ClientCommand {
  /** The VS Code command id (package.json `contributes.commands`). */
  id: string;
  title: string;
  /** The server command it forwards to; absent for commands the extension runs itself. */
  server?: ServerCommand;
  /** The context key that is true while the server advertises `server`. */
  contextKey?: string;
}

// Our ids differ from the server's: vscode-languageclient registers a command under each id the
// server advertises (for code lenses), and two registrations of one id fail.
export const CLIENT_COMMANDS: readonly ClientCommand[] = [
  { id: "neonLsp.testConnection", title: "Test Connection", server: SERVER_COMMANDS.testConnection },
  { id: "neonLsp.insertSnippet", title: "Insert Connection Snippet", server: SERVER_COMMANDS.insertSnippet },
  { id: "neonLsp.signIn", title: "Sign in to Neon", server: SERVER_COMMANDS.signIn },
  {
    id: "neonLsp.signInWithRedirect",
    title: "Finish Sign-in with the Browser's Address",
    server: SERVER_COMMANDS.signInWithRedirect,
  },
  { id: "neonLsp.signOut", title: "Sign out of Neon", server: SERVER_COMMANDS.signOut },
  { id: "neonLsp.pullConnection", title: "Pull Connection Details", server: SERVER_COMMANDS.pullConnection },
  { id: "neonLsp.refreshDeployed", title: "Refresh Deployed Configuration", server: SERVER_COMMANDS.refreshDeployed },
  { id: "neonLsp.restartServer", title: "Restart Server" },
  { id: "neonLsp.showOutput", title: "Show Output" },
].map((command) =>
  command.server === undefined
    ? command
    : { ...command, contextKey: `neonLsp.supports.${command.server.slice("neon-lsp.".length)}` },
);

export interface Position {
  line: number;
  character: number;
}

/** Where the command was invoked: the active file (if any) and its workspace folder. */
export interface InvocationContext {
  documentUri?: string;
  position?: Position;
  folderUri?: string;
  /** What the user pasted for Finish Sign-in: the address the browser ended on. */
  pastedAddress?: string;
}

export type CommandArguments = { ok: true; arguments: unknown[] } | { ok: false; message: string };

/** The `workspace/executeCommand` arguments for `command`, per the server's contract. */
export function argumentsFor(command: ServerCommand, context: InvocationContext): CommandArguments {
  switch (command) {
    case SERVER_COMMANDS.signIn:
    case SERVER_COMMANDS.signOut:
    case SERVER_COMMANDS.refreshDeployed:
      return { ok: true, arguments: [] };
    case SERVER_COMMANDS.signInWithRedirect: {
      const url = context.pastedAddress?.trim();
      if (!url) {
        return {
          ok: false,
          message:
            "Paste the address your browser ended on after signing in (it starts with http://127.0.0.1: and holds code= and state=), or run Sign in to Neon first.",
        };
      }
      return { ok: true, arguments: [{ url }] };
    }
    case SERVER_COMMANDS.insertSnippet:
      if (context.documentUri === undefined) {
        return { ok: false, message: "Open the source file the snippet should go into, then run Insert Connection Snippet again." };
      }
      return {
        ok: true,
        arguments: [context.position ? { uri: context.documentUri, position: context.position } : { uri: context.documentUri }],
      };
    case SERVER_COMMANDS.testConnection:
    case SERVER_COMMANDS.describeConnection: {
      // The test reads the .env files next to the file; with no file open, those of the folder.
      const uri = context.documentUri ?? context.folderUri;
      if (uri === undefined) {
        return { ok: false, message: "Open a .env file or a source file of your app (or a folder), then run the command again." };
      }
      return { ok: true, arguments: [{ uri }] };
    }
    case SERVER_COMMANDS.pullConnection: {
      const uri = context.folderUri ?? context.documentUri;
      if (uri === undefined) {
        return { ok: false, message: "Open the folder of your app first: the connection details are written to its .env file." };
      }
      return { ok: true, arguments: [{ uri }] };
    }
  }
}

/**
 * Arguments a caller passed along with our command (a test, a keybinding's "args") that are
 * already the server's: `[{uri: string, ...}]` or nothing. VS Code itself passes other things
 * (a Uri from an explorer menu), which are not forwarded.
 */
export function explicitArguments(args: readonly unknown[]): unknown[] | undefined {
  const first = args[0];
  if (args.length !== 1 || first === null || typeof first !== "object" || Array.isArray(first)) return undefined;
  const uri = (first as Record<string, unknown>).uri;
  return typeof uri === "string" && /^[a-z][a-z0-9+.-]*:/i.test(uri) ? [first] : undefined;
}

export interface ServerIdentity {
  name?: string;
  version?: string;
  path?: string;
}

/** What to say when the running server does not advertise `command`. */
export function unsupportedMessage(command: ClientCommand, advertised: readonly string[], server: ServerIdentity): string {
  const who = [server.name ?? "neon-lsp", server.version].filter(Boolean).join(" ");
  const where = server.path ? ` (${server.path})` : "";
  const offers = advertised.length > 0 ? `it offers ${advertised.join(", ")}` : "it offers no commands";
  return `"${command.title}" is not supported by this server: ${who}${where} does not advertise ${command.server}; ${offers}. Update neon-lsp, then run "Neon LSP: Restart Server".`;
}
