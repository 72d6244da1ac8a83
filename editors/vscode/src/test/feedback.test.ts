import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  CancellationLike,
  clientLogLevel,
  NotificationProgressOptions,
  presentServerMessage,
  progressMessage,
  runWithNotificationProgress,
  TOAST_LINE,
  WorkDoneProgressValue,
} from "../feedback";
import { PACKAGE_TARGETS } from "../serverPath";

/** A cancellation token the test cancels itself. */
function cancellation(): CancellationLike & { cancel(): void } {
  const listeners: (() => unknown)[] = [];
  const token = {
    isCancellationRequested: false,
    onCancellationRequested(listener: () => unknown) {
      listeners.push(listener);
      return { dispose() {} };
    },
    cancel() {
      token.isCancellationRequested = true;
      for (const listener of listeners) listener();
    },
  };
  return token;
}

describe("runWithNotificationProgress", () => {
  it("shows a cancellable notification with the server's progress on our own token", async () => {
    const shown: NotificationProgressOptions[] = [];
    const reported: (string | undefined)[] = [];
    const handlers = new Map<string, (value: WorkDoneProgressValue) => void>();
    let disposed = 0;
    let sentToken: string | undefined;
    const token = cancellation();
    const result = await runWithNotificationProgress("neon-lsp: testing the connection", {
      withProgress: (options, task) => {
        shown.push(options);
        return task({ report: (value) => reported.push(value.message) }, token);
      },
      onProgress: (progressToken, handler) => {
        handlers.set(progressToken, handler);
        return { dispose: () => disposed++ };
      },
      send: async (progressToken, cancel) => {
        sentToken = progressToken;
        assert.equal(cancel, token, "the notification's cancel button cancels the request");
        // The server reports on the token the request carried.
        const report = handlers.get(progressToken);
        assert.ok(report, "listening before the request is sent");
        report({ kind: "begin", title: "neon-lsp: testing ep-x.neon.tech", cancellable: true } as WorkDoneProgressValue);
        report({ kind: "report", message: "TLS handshake" });
        report({ kind: "end" });
        return { ok: true };
      },
    });
    assert.deepEqual(result, { ok: true });
    assert.deepEqual(shown, [{ title: "neon-lsp: testing the connection", cancellable: true }]);
    assert.deepEqual(reported, ["testing ep-x.neon.tech", "TLS handshake"]);
    assert.ok(sentToken?.startsWith("neon-lsp-vscode/"));
    assert.equal(disposed, 1, "the progress listener goes with the notification");
  });

  it("stops listening when the request fails or is cancelled", async () => {
    let disposed = 0;
    const token = cancellation();
    await assert.rejects(async () =>
      runWithNotificationProgress("t", {
        withProgress: (_options, task) => task({ report() {} }, token),
        onProgress: () => ({ dispose: () => disposed++ }),
        send: async (_progressToken, cancel) => {
          token.cancel();
          assert.ok(cancel.isCancellationRequested);
          throw new Error("Request cancelled");
        },
      }),
      /cancelled/,
    );
    assert.equal(disposed, 1);
  });

  it("answers a cancelled test with the cancelled result instead of an error", async () => {
    const token = cancellation();
    const result = await runWithNotificationProgress<{ cancelled: boolean }>("t", {
      withProgress: (_options, task) => task({ report() {} }, token),
      onProgress: () => ({ dispose() {} }),
      send: async () => {
        token.cancel();
        throw new Error("Canceled");
      },
      cancelled: () => ({ cancelled: true }),
    });
    assert.deepEqual(result, { cancelled: true });
    // A failure that is not the user's cancel still fails.
    await assert.rejects(async () =>
      runWithNotificationProgress("t", {
        withProgress: (_options, task) => task({ report() {} }, cancellation()),
        onProgress: () => ({ dispose() {} }),
        send: async () => {
          throw new Error("Client is not running");
        },
        cancelled: () => ({ cancelled: true }),
      }),
      /not running/,
    );
  });

  it("gives each run its own token", async () => {
    const tokens: string[] = [];
    for (let run = 0; run < 2; run++) {
      await runWithNotificationProgress("t", {
        withProgress: (_options, task) => task({ report() {} }, cancellation()),
        onProgress: () => ({ dispose() {} }),
        send: async (progressToken) => tokens.push(progressToken),
      });
    }
    assert.notEqual(tokens[0], tokens[1]);
  });
});

describe("progressMessage", () => {
  it("turns begin/report into the notification's line and ignores end", () => {
    assert.equal(progressMessage({ kind: "begin", title: "neon-lsp: testing h", message: "resolving h" }), "testing h: resolving h");
    assert.equal(progressMessage({ kind: "report", message: "TLS handshake" }), "TLS handshake");
    assert.equal(progressMessage({ kind: "report" }), undefined);
    assert.equal(progressMessage({ kind: "end", message: "done" }), undefined);
  });
});

describe("presentServerMessage", () => {
  const long =
    "neon-lsp: Neon sign-in needs an OAuth client: set NEON_OAUTH_CLIENT_ID in the server's environment (ask your Neon organization's admin for one), or set NEON_API_KEY to an API key from the Neon console, then run Sign in to Neon again.";

  it("shows a sign-in's long message whole in a modal", () => {
    assert.ok(long.length > TOAST_LINE);
    assert.deepEqual(presentServerMessage(long, true), { modal: true, message: "neon-lsp: Neon sign-in", detail: long.slice("neon-lsp: ".length) });
  });

  it("keeps short messages and everything outside a sign-in as toasts", () => {
    assert.deepEqual(presentServerMessage("neon-lsp: signed in to Neon as ada@example.com.", true), {
      modal: false,
      message: "neon-lsp: signed in to Neon as ada@example.com.",
    });
    assert.deepEqual(presentServerMessage(long, false), { modal: false, message: long });
  });
});

describe("clientLogLevel", () => {
  it("logs the server's clean exit as information, every other exit as an error", () => {
    assert.equal(clientLogLevel("Server process exited with code 0."), "info");
    assert.equal(clientLogLevel("Server process exited with code 1."), "error");
    assert.equal(clientLogLevel("Server process exited with code 101."), "error");
    assert.equal(clientLogLevel("Server process exited with signal SIGKILL."), "error");
    assert.equal(clientLogLevel("Connection to server got closed. Server will not be restarted."), "error");
  });
});

describe("the packaging scripts", () => {
  it("know the same package targets as the extension", () => {
    // Compiled tests run from out/test/; scripts/ is two folders up.
    const text = fs.readFileSync(path.join(__dirname, "..", "..", "scripts", "targets.mjs"), "utf8");
    const listed = /PACKAGE_TARGETS = \[([^\]]*)\]/.exec(text)?.[1] ?? "";
    assert.deepEqual([...listed.matchAll(/"([^"]+)"/g)].map((match) => match[1]), [...PACKAGE_TARGETS]);
  });
});
