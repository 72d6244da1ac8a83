/**
 * How the extension shows what the server and its process say: the connection test's progress
 * as a cancellable notification, long sign-in messages in full, and a clean server exit as
 * information rather than an error. Pure (VS Code's functions are passed in), so it is
 * unit-tested without VS Code. It decides presentation only; the words are the server's.
 */

/** The part of a `vscode.CancellationToken` used here. */
export interface CancellationLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

/** `$/progress` values (begin, report, end) as vscode-languageclient hands them over. */
export interface WorkDoneProgressValue {
  kind: "begin" | "report" | "end";
  title?: string;
  message?: string;
  percentage?: number;
}

export interface NotificationProgressOptions {
  title: string;
  cancellable: boolean;
}

export interface ProgressDependencies<T> {
  /** `vscode.window.withProgress` with `location: ProgressLocation.Notification` added. */
  withProgress(
    options: NotificationProgressOptions,
    task: (progress: { report(value: { message?: string }): void }, token: CancellationLike) => Promise<T>,
  ): Thenable<T>;
  /** Listens for `$/progress` on `token` (`client.onProgress(WorkDoneProgress.type, …)`). */
  onProgress(token: string, handler: (value: WorkDoneProgressValue) => void): { dispose(): unknown };
  /**
   * Sends the command with `workDoneToken` set to `token`; `cancellation` cancels the request
   * (`$/cancelRequest`), which stops the server's work.
   */
  send(token: string, cancellation: CancellationLike): Promise<T>;
  /**
   * The result when the user pressed Cancel (the request then fails with a cancellation error,
   * which is not a failure to report). Without it, the error is passed on.
   */
  cancelled?(): T;
}

let nextToken = 1;

/**
 * Runs a server command under a cancellable notification that shows the server's own progress
 * messages ("resolving ep-….neon.tech", "TLS handshake", …). vscode-languageclient puts
 * server-created progress in the status bar, where a slow connection test is easy to miss and
 * cannot be cancelled; a progress token of our own (client-initiated progress) lands here.
 */
export function runWithNotificationProgress<T>(title: string, dependencies: ProgressDependencies<T>): Thenable<T> {
  const token = `neon-lsp-vscode/${process.pid}/${nextToken++}`;
  return dependencies.withProgress({ title, cancellable: true }, async (progress, cancellation) => {
    const listener = dependencies.onProgress(token, (value) => {
      const message = progressMessage(value);
      if (message !== undefined) progress.report({ message });
    });
    try {
      return await dependencies.send(token, cancellation);
    } catch (error) {
      if (cancellation.isCancellationRequested && dependencies.cancelled) return dependencies.cancelled();
      throw error;
    } finally {
      listener.dispose();
    }
  });
}

/** The line a progress value adds under the notification's title. */
export function progressMessage(value: WorkDoneProgressValue): string | undefined {
  if (value.kind === "end") return undefined;
  if (value.kind === "begin") {
    const title = value.title?.replace(/^neon-lsp: /, "");
    return [title, value.message].filter((part) => part !== undefined && part !== "").join(": ") || undefined;
  }
  return value.message;
}

/** How to show a `window/showMessage` from the server. */
export interface MessagePresentation {
  /** A modal dialog shows the whole text; a toast shows one line until expanded. */
  modal: boolean;
  message: string;
  /** The full text under a modal's title. */
  detail?: string;
}

/** About one line of a VS Code notification toast; longer text is cut until expanded. */
export const TOAST_LINE = 90;

/**
 * A message that arrives while a Neon sign-in runs (its instructions, the address to open, the
 * outcome) is read in full: when it would not fit a toast's line, it goes to a modal dialog
 * with the whole text. Everything else stays a toast.
 */
export function presentServerMessage(text: string, signingIn: boolean): MessagePresentation {
  if (!signingIn || text.length <= TOAST_LINE) return { modal: false, message: text };
  return { modal: true, message: "neon-lsp: Neon sign-in", detail: text.replace(/^neon-lsp: /, "") };
}

/**
 * The level vscode-languageclient should log its own message at. It reports every exit of the
 * server process as an error, including the clean exit (code 0) after shutdown and exit that
 * "Restart Server" and closing VS Code cause.
 */
export function clientLogLevel(message: string): "info" | "error" {
  return /^Server process exited with code 0\.?$/.test(message.trim()) ? "info" : "error";
}
