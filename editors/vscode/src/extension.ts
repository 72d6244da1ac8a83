/**
 * The VS Code side of neon-lsp: finds the server, starts it with the user's settings, forwards
 * the commands, and keeps the status-bar item current. Deliberately thin: every diagnostic, fix,
 * test, snippet and sign-in is the server's; the decisions that can be made without VS Code live
 * in the pure modules next to this one (serverPath, settings, commands, status, documents).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandParams,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  MessageType,
  RevealOutputChannelOn,
  ServerOptions,
  ShowMessageNotification,
  State,
  WorkDoneProgress,
} from "vscode-languageclient/node";
import {
  argumentsFor,
  CLIENT_COMMANDS,
  ClientCommand,
  explicitArguments,
  InvocationContext,
  SERVER_COMMANDS,
  ServerCommand,
  unsupportedMessage,
} from "./commands";
import { documentSelector } from "./documents";
import { clientLogLevel, presentServerMessage, runWithNotificationProgress } from "./feedback";
import { effectiveServerPath, findServer, ServerLocation, ServerNotFoundError } from "./serverPath";
import { needsRestart, ServerSettings, toServerSettings } from "./settings";
import {
  ConnectionDescription,
  parseConnection,
  parseTestResult,
  presentStatus,
  parseDeployedStatus,
  type DeployedStatus,
  ServerState,
  TestOutcome,
} from "./status";

const SECTION = "neon-lsp";

/** vscode-languageclient, except that a clean exit of the server is not logged as an error. */
class NeonLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification: boolean | "force" = true): void {
    if (clientLogLevel(message) === "info") {
      this.info(message, data, false);
      return;
    }
    super.error(message, data, showNotification);
  }
}

class NeonLspExtension implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private location: ServerLocation | undefined;
  private serverState: ServerState = { kind: "starting" };
  private connection: ConnectionDescription | null | undefined;
  private lastTest: TestOutcome | undefined;
  private deployed: DeployedStatus | undefined;
  private readonly output = vscode.window.createOutputChannel("Neon LSP");
  private readonly statusItem = vscode.window.createStatusBarItem("neonLsp.status", vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private describeTimer: ReturnType<typeof setTimeout> | undefined;
  private describeGeneration = 0;
  /** A Neon sign-in is running: its messages are shown in full (see feedback.presentServerMessage). */
  private signingIn = 0;
  /** The workspace's server path that Restricted Mode made us ignore, told to the user once. */
  private toldIgnoredServerPath: string | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.statusItem.name = "neon-lsp connection";
    this.statusItem.command = "neonLsp.testConnection";
    this.disposables.push(this.output, this.statusItem);
  }

  activate(): void {
    for (const command of CLIENT_COMMANDS) {
      this.disposables.push(vscode.commands.registerCommand(command.id, (...args: unknown[]) => this.run(command, args)));
    }
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((event) => this.configurationChanged(event)),
      vscode.window.onDidChangeActiveTextEditor(() => this.scheduleDescribe()),
      vscode.workspace.onDidSaveTextDocument(() => this.scheduleDescribe()),
      // Trusting the workspace lets its neon-lsp.server.path count: start that binary.
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        if (this.toldIgnoredServerPath !== undefined) void this.stop().then(() => this.start());
      }),
    );
    this.render();
    this.statusItem.show();
    void this.start();
  }

  private settings(): ServerSettings {
    const configuration = vscode.workspace.getConfiguration(SECTION);
    return toServerSettings((key) => configuration.get(key));
  }

  private async start(): Promise<void> {
    this.setServerState({ kind: "starting" });
    let location: ServerLocation;
    const serverPath = effectiveServerPath(
      vscode.workspace.getConfiguration(SECTION).inspect<string>("server.path"),
      vscode.workspace.isTrusted,
    );
    this.warnIgnoredServerPath(serverPath.ignoredWorkspaceValue);
    try {
      location = findServer({
        configuredPath: serverPath.value,
        extensionPath: this.context.extensionPath,
        pathVariable: process.env.PATH,
        platform: process.platform,
        arch: process.arch,
        musl: isMusl(),
        homeDirectory: os.homedir(),
        workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
        isExecutable,
        bundledTargets: listFolders(path.join(this.context.extensionPath, "server")),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.output.appendLine(message);
      this.setServerState({ kind: "stopped", reason: message });
      const settingIsWrong = error instanceof ServerNotFoundError && error.settingIsWrong;
      const openSettings = settingIsWrong ? "Fix the Setting" : "Set the Server Path";
      const choice = await vscode.window.showErrorMessage(`neon-lsp: ${message}`, openSettings, "Show Output");
      if (choice === openSettings) {
        await vscode.commands.executeCommand("workbench.action.openSettings", "neon-lsp.server.path");
      } else if (choice === "Show Output") {
        this.output.show();
      }
      return;
    }
    this.location = location;
    this.output.appendLine(`Starting ${location.path} serve (found via ${location.source})`);
    const serverOptions: ServerOptions = { command: location.path, args: ["serve"] };
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(),
      initializationOptions: this.settings(),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      middleware: {
        workspace: {
          // The server pulls section "neon-lsp"; it gets the same shape as initializationOptions.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) return answers;
            return params.items.map((item, index) => (item.section === SECTION ? this.settings() : answers[index]));
          },
        },
        // A click on the server's "Test connection" code lens runs through here: show its
        // progress as a notification and keep its outcome.
        executeCommand: async (command, args, next) => {
          if (command === SERVER_COMMANDS.testConnection && this.client) {
            return this.execute(SERVER_COMMANDS.testConnection, args);
          }
          return next(command, args);
        },
      },
    };
    const client = new NeonLanguageClient("neon-lsp", "Neon LSP", serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((change) => {
      if (change.newState === State.Running) {
        this.setServerState({ kind: "running" });
        void this.advertiseCommands();
        this.scheduleDescribe();
      } else if (change.newState === State.Stopped && this.client === client) {
        this.setServerState({ kind: "stopped", reason: "the server stopped; see Neon LSP output" });
      }
    });
    try {
      await client.start();
      client.onNotification(ShowMessageNotification.type, (params) => this.showServerMessage(params.type, params.message));
      client.onNotification("neon-lsp/deployedStatus", (params: unknown) => {
        this.deployed = parseDeployedStatus(params);
        this.render();
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.output.appendLine(`The server did not start: ${message}`);
      this.setServerState({ kind: "stopped", reason: message });
      void vscode.window.showErrorMessage(`neon-lsp did not start (${location.path}): ${message}`, "Show Output").then((choice) => {
        if (choice) this.output.show();
      });
    }
  }

  private async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        this.output.appendLine(`Stopping the server failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    await this.advertiseCommands();
  }

  /** The commands the running server executes (its `executeCommandProvider`). */
  private advertised(): string[] {
    const client = this.client;
    if (!client || client.state !== State.Running) return [];
    return client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  }

  /** Palette entries follow what the server advertises (package.json `when` clauses). */
  private async advertiseCommands(): Promise<void> {
    const advertised = this.advertised();
    for (const command of CLIENT_COMMANDS) {
      if (command.contextKey && command.server) {
        await vscode.commands.executeCommand("setContext", command.contextKey, advertised.includes(command.server));
      }
    }
  }

  private invocationContext(): InvocationContext {
    const editor = vscode.window.activeTextEditor;
    const document = editor?.document.uri.scheme === "file" ? editor.document : undefined;
    const folder =
      (document && vscode.workspace.getWorkspaceFolder(document.uri)) ?? vscode.workspace.workspaceFolders?.[0];
    return {
      documentUri: document?.uri.toString(),
      position: document && editor ? { line: editor.selection.active.line, character: editor.selection.active.character } : undefined,
      folderUri: folder?.uri.toString(),
    };
  }

  private async run(command: ClientCommand, args: unknown[]): Promise<unknown> {
    if (command.id === "neonLsp.showOutput") {
      this.output.show();
      return undefined;
    }
    if (command.id === "neonLsp.restartServer") {
      await this.stop();
      await this.start();
      return undefined;
    }
    if (!command.server) return undefined;
    if (!this.client || this.client.state !== State.Running) {
      const reason = this.serverState.kind === "stopped" ? this.serverState.reason : "it is still starting";
      void vscode.window.showErrorMessage(`neon-lsp: "${command.title}" needs the language server, which is not running: ${reason}`);
      return undefined;
    }
    const advertised = this.advertised();
    if (!advertised.includes(command.server)) {
      const serverInfo = this.client.initializeResult?.serverInfo;
      void vscode.window.showWarningMessage(
        `neon-lsp: ${unsupportedMessage(command, advertised, { ...serverInfo, path: this.location?.path })}`,
      );
      return undefined;
    }
    const explicit = explicitArguments(args);
    const context = this.invocationContext();
    if (!explicit && command.server === SERVER_COMMANDS.signInWithRedirect) {
      // The browser is on another machine (SSH, a container): its redirect to this machine's
      // loopback cannot load, so the user pastes its address and the server checks its state.
      context.pastedAddress = await vscode.window.showInputBox({
        title: "Neon LSP: Finish Sign-in",
        prompt: "Paste the address the browser ended on after you signed in to Neon (http://127.0.0.1:…?code=…&state=…)",
        ignoreFocusOut: true,
      });
      if (context.pastedAddress === undefined) return undefined;
    }
    const prepared = explicit ? { ok: true as const, arguments: explicit } : argumentsFor(command.server, context);
    if (!prepared.ok) {
      void vscode.window.showInformationMessage(`neon-lsp: ${prepared.message}`);
      return undefined;
    }
    return this.execute(command.server, prepared.arguments);
  }

  private async execute(command: ServerCommand, args: unknown[]): Promise<unknown> {
    const client = this.client;
    if (!client) return undefined;
    if (command === SERVER_COMMANDS.signIn) this.signingIn++;
    try {
      const result = await this.send(client, command, args);
      if (command === SERVER_COMMANDS.testConnection) this.recordTest(result);
      if (command === SERVER_COMMANDS.insertSnippet && isObject(result) && result.applied === false) {
        void vscode.window.showWarningMessage("neon-lsp: the snippet was not inserted (the editor declined the edit).");
      }
      if (command === SERVER_COMMANDS.pullConnection || command === SERVER_COMMANDS.signIn) this.scheduleDescribe();
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.output.appendLine(`${command} failed: ${message}`);
      void vscode.window.showErrorMessage(`neon-lsp: ${command} failed: ${message}`);
      return undefined;
    } finally {
      if (command === SERVER_COMMANDS.signIn) this.signingIn--;
    }
  }

  /** Sends a command; the connection test under a cancellable notification with its progress. */
  private async send(client: LanguageClient, command: ServerCommand, args: unknown[]): Promise<unknown> {
    if (command !== SERVER_COMMANDS.testConnection) {
      return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    }
    return runWithNotificationProgress<unknown>("neon-lsp: testing the connection", {
      withProgress: (options, task) =>
        vscode.window.withProgress({ ...options, location: vscode.ProgressLocation.Notification }, task),
      onProgress: (token, handler) => client.onProgress(WorkDoneProgress.type, token, handler),
      send: (token, cancellation) => {
        const params: ExecuteCommandParams = { command, arguments: args, workDoneToken: token };
        return client.sendRequest(ExecuteCommandRequest.type, params, cancellation as vscode.CancellationToken);
      },
      // The same result the server gives when its own progress is cancelled.
      cancelled: () => {
        void vscode.window.showInformationMessage("neon-lsp: connection test cancelled");
        return { ok: false, cancelled: true, summary: "cancelled" };
      },
    });
  }

  /** `window/showMessage`, as vscode-languageclient shows it, except a sign-in's long messages. */
  private showServerMessage(type: MessageType, text: string): void {
    const shown = presentServerMessage(text, this.signingIn > 0);
    const options: vscode.MessageOptions = shown.modal ? { modal: true, detail: shown.detail } : {};
    if (type === MessageType.Error) void vscode.window.showErrorMessage(shown.message, options);
    else if (type === MessageType.Warning) void vscode.window.showWarningMessage(shown.message, options);
    else void vscode.window.showInformationMessage(shown.message, options);
  }

  /** Restricted Mode: the workspace's server path is not run; say so once, with the way out. */
  private warnIgnoredServerPath(ignored: string | undefined): void {
    if (ignored === undefined || ignored === this.toldIgnoredServerPath) return;
    this.toldIgnoredServerPath = ignored;
    const message =
      `neon-lsp: neon-lsp.server.path "${ignored}" names a binary of this workspace, which is not run while the workspace is not trusted ` +
      "(Restricted Mode); a user setting outside the workspace, the bundled server or the one on PATH runs instead.";
    this.output.appendLine(message);
    void vscode.window.showWarningMessage(message, "Manage Workspace Trust").then((choice) => {
      if (choice) void vscode.commands.executeCommand("workbench.trust.manage");
    });
  }

  private recordTest(result: unknown): void {
    const outcome = parseTestResult(result, new Date());
    if (outcome) {
      this.lastTest = outcome;
      this.render();
    }
  }

  private scheduleDescribe(): void {
    if (this.describeTimer) clearTimeout(this.describeTimer);
    this.describeTimer = setTimeout(() => void this.describe(), 150);
  }

  private async describe(): Promise<void> {
    const generation = ++this.describeGeneration;
    const client = this.client;
    const prepared = argumentsFor(SERVER_COMMANDS.describeConnection, this.invocationContext());
    let connection: ConnectionDescription | null = null;
    if (client && prepared.ok && this.advertised().includes(SERVER_COMMANDS.describeConnection)) {
      try {
        connection = parseConnection(
          await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_COMMANDS.describeConnection, arguments: prepared.arguments }),
        );
      } catch (error) {
        this.output.appendLine(`describeConnection failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // A slower, older answer must not overwrite the one for the file now active.
    if (generation !== this.describeGeneration) return;
    this.connection = connection;
    this.render();
  }

  private configurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration(SECTION)) return;
    if (needsRestart((section) => event.affectsConfiguration(section))) {
      void this.stop().then(() => this.start());
      return;
    }
    const client = this.client;
    if (client && client.state === State.Running) {
      const settings = this.settings();
      void client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: settings } });
      if (settings.azure === undefined && this.deployed !== undefined) {
        // Turned off: the server stops using (and reporting) the deployed configuration.
        this.deployed = undefined;
        this.render();
      }
      this.scheduleDescribe();
    }
  }

  private setServerState(state: ServerState): void {
    this.serverState = state;
    if (state.kind !== "running") this.connection = undefined;
    this.render();
  }

  private render(): void {
    const presentation = presentStatus({
      server: this.serverState,
      connection: this.connection,
      lastTest: this.lastTest,
      deployed: this.deployed,
    });
    this.statusItem.text = presentation.text;
    this.statusItem.tooltip = presentation.tooltip;
    this.statusItem.backgroundColor = presentation.error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.statusItem.command = presentation.error ? "neonLsp.showOutput" : "neonLsp.testConnection";
  }

  dispose(): void {
    if (this.describeTimer) clearTimeout(this.describeTimer);
    for (const disposable of this.disposables) disposable.dispose();
  }

  async deactivate(): Promise<void> {
    await this.stop();
    this.dispose();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object";
}

/** Linux with musl libc (Alpine): Node's report names no glibc there. */
function isMusl(): boolean {
  if (process.platform !== "linux") return false;
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    return header !== undefined && header.glibcVersionRuntime === undefined;
  } catch {
    return false;
  }
}

function listFolders(folder: string): string[] {
  try {
    return fs
      .readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (process.platform !== "win32") fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let extension: NeonLspExtension | undefined;

export function activate(context: vscode.ExtensionContext): void {
  extension = new NeonLspExtension(context);
  extension.activate();
}

export async function deactivate(): Promise<void> {
  await extension?.deactivate();
  extension = undefined;
}
