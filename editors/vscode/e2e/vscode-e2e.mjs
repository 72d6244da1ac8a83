// The extension in a real VS Code: code-server (VS Code served over HTTP on loopback) with our
// per-platform .vsix installed (the neon-lsp binary in its server/<target>/ folder), opened on a copy of
// a broken fixture project and driven through Debian's chromium by playwright-core. The test
// opens a file with a mistake, reads our diagnostic in the Problems panel, checks the status
// bar, applies the quick fix, and sees the diagnostic gone (and the fix saved to disk); then it
// runs "Neon LSP: Test Connection" from the Command Palette and sees the outcome in the status bar;
// then "Restart Server", whose clean exit the output must log as information, not as an error.
//
// Run through run.sh, which installs code-server, builds the binary and packages the .vsix.
// Inputs (environment): CODE_SERVER, NEON_LSP_BIN, VSIX, FIXTURE, CHROMIUM (default
// /usr/bin/chromium), SCREENSHOT (where to save the picture), E2E_KEEP=1 keeps the temp folder.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";

const STEP_TIMEOUT = 90_000;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run editors/vscode/e2e/run.sh)`);
  return value;
}

const started = Date.now();
function step(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, log) {
  const deadline = Date.now() + STEP_TIMEOUT;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${fs.readFileSync(log, "utf8")}`);
    try {
      const response = await fetch(url, { redirect: "manual" });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server did not answer on ${url} within ${STEP_TIMEOUT / 1000} s:\n${fs.readFileSync(log, "utf8")}`);
}

/** Stops code-server and everything it started (extension host, neon-lsp) as one process group. */
async function stopGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = new Promise((resolve) => setTimeout(() => resolve("timeout"), 10_000));
  if ((await Promise.race([exited, timer])) === "timeout") {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await exited;
  }
}

async function main() {
  const codeServer = required("CODE_SERVER");
  required("NEON_LSP_BIN");
  const vsix = required("VSIX");
  const fixture = required("FIXTURE");
  const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
  const screenshot = process.env.SCREENSHOT;

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "neon-lsp-vscode-e2e-"));
  const project = path.join(tmp, "project");
  const userData = path.join(tmp, "user-data");
  const extensions = path.join(tmp, "extensions");
  const serverLog = path.join(tmp, "code-server.log");
  // code-server writes its config (and more) under XDG folders: keep them in the temp folder.
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(tmp, "config"),
    XDG_DATA_HOME: path.join(tmp, "data"),
    XDG_CACHE_HOME: path.join(tmp, "cache"),
  };
  let child;
  let browser;
  let page;
  try {
    fs.cpSync(fixture, project, { recursive: true });
    const target = path.join(project, "mysite", "settings.py");
    if (!fs.readFileSync(target, "utf8").includes('os.environ["NEON_POSTGRESQL_DATABASE"]')) {
      throw new Error(`${fixture} no longer has the mistake this test fixes (mysite/settings.py reading NEON_POSTGRESQL_DATABASE)`);
    }
    fs.mkdirSync(path.join(userData, "User"), { recursive: true });
    fs.writeFileSync(
      path.join(userData, "User", "settings.json"),
      JSON.stringify(
        {
          "workbench.startupEditor": "none",
          "workbench.tips.enabled": false,
          "workbench.enableExperiments": false,
          "telemetry.telemetryLevel": "off",
          "extensions.autoCheckUpdates": false,
          "extensions.autoUpdate": false,
          "update.mode": "none",
          "security.workspace.trust.enabled": false,
          "window.restoreWindows": "none",
          "editor.minimap.enabled": false,
          "git.enabled": false,
        },
        null,
        2,
      ),
    );

    step(`installing ${path.basename(vsix)} into code-server`);
    execFileSync(codeServer, ["--extensions-dir", extensions, "--user-data-dir", userData, "--install-extension", vsix], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const installed = fs.readdirSync(extensions).find((name) => name.startsWith("neon-lsp.neon-lsp-"));
    if (!installed) throw new Error(`the .vsix did not install: ${fs.readdirSync(extensions).join(", ")}`);
    // The per-platform .vsix carries the binary in server/<target>/, executable: the extension
    // finds it there without settings.
    const platform = `${process.platform}-${process.arch === "arm" ? "armhf" : process.arch}`;
    const bundled = path.join(extensions, installed, "server", platform, "neon-lsp");
    try {
      fs.accessSync(bundled, fs.constants.X_OK);
    } catch {
      throw new Error(`the installed ${path.basename(vsix)} has no executable ${bundled}`);
    }

    const port = await freePort();
    step(`starting code-server on 127.0.0.1:${port}`);
    const logFd = fs.openSync(serverLog, "w");
    child = spawn(
      codeServer,
      [
        "--bind-addr",
        `127.0.0.1:${port}`,
        "--auth",
        "none",
        "--config",
        path.join(tmp, "code-server.yaml"),
        "--user-data-dir",
        userData,
        "--extensions-dir",
        extensions,
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
        "--ignore-last-opened",
        project,
      ],
      { env, stdio: ["ignore", logFd, logFd], detached: true },
    );
    fs.closeSync(logFd);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, child, serverLog);

    step("opening the project in headless chromium");
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(project)}`);
    await page.locator(".monaco-workbench").waitFor();
    await page.locator(".explorer-folders-view").waitFor();

    step("opening mysite/settings.py");
    await page.keyboard.press("Control+P");
    const quickInput = page.locator(".quick-input-widget input");
    await quickInput.waitFor();
    await quickInput.fill("mysite/settings.py");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "settings.py" }).first().waitFor();
    await page.keyboard.press("Enter");
    await page.locator(".tabs-container .tab", { hasText: "settings.py" }).waitFor();

    step("waiting for the diagnostic in the Problems panel");
    await page.keyboard.press("Control+Shift+M");
    const problem = page.locator(".markers-panel .monaco-list-row", { hasText: "NEON_POSTGRESQL_DATABASE is not set" });
    await problem.first().waitFor();
    const problemText = await problem.first().innerText();
    for (const expected of ["wrong-client-type-variable", "neon-lsp", "client type django, from requirements.txt"]) {
      if (!problemText.includes(expected)) throw new Error(`the Problems entry lacks "${expected}": ${problemText}`);
    }
    const otherProblem = page.locator(".markers-panel .monaco-list-row", { hasText: "NEON_POSTGRESQL_PORT is not set" });
    await otherProblem.first().waitFor();

    step("checking the status bar (neon-lsp.describeConnection)");
    const status = page.locator(".statusbar-item", { hasText: "neon · django" });
    await status.first().waitFor();

    step("applying the quick fix");
    await problem.first().dblclick();
    await page.locator(".monaco-editor.focused").waitFor();
    await page.keyboard.press("Control+.");
    const fix = page.locator(".action-widget .monaco-list-row", { hasText: "Replace with NEON_POSTGRESQL_NAME" });
    await fix.first().waitFor();
    if (screenshot) {
      fs.mkdirSync(path.dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot });
      step(`screenshot saved to ${screenshot}`);
    }
    // The menu puts a transparent blocker over the page, so choose with the keyboard as a user
    // would: move the focus to our fix, then Enter.
    const focused = page.locator(".action-widget .monaco-list-row.focused");
    for (let moves = 0; (await focused.getAttribute("aria-label")) !== "Replace with NEON_POSTGRESQL_NAME"; moves++) {
      if (moves > 10) throw new Error("the quick fix menu never focused Replace with NEON_POSTGRESQL_NAME");
      await page.keyboard.press("ArrowDown");
    }
    await page.keyboard.press("Enter");

    step("waiting for the diagnostic to go");
    await problem.first().waitFor({ state: "detached" });
    // Only the fixed problem went away: the server re-checked the edited text, it did not clear all.
    await otherProblem.first().waitFor();
    await page.keyboard.press("Control+S");
    const deadline = Date.now() + STEP_TIMEOUT;
    while (!fs.readFileSync(target, "utf8").includes('os.environ["NEON_POSTGRESQL_NAME"]')) {
      if (Date.now() > deadline) throw new Error("the fixed file was not saved with NEON_POSTGRESQL_NAME");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    step("running Neon LSP: Test Connection from the Command Palette");
    // No database is reachable from the test, so the server reports a failure: the status bar
    // must show it, with the server's own summary.
    await page.keyboard.press("Control+Shift+P");
    await quickInput.waitFor();
    await quickInput.fill(">Neon LSP: Test Connection");
    const paletteEntry = page.locator(".quick-input-list .monaco-list-row", { hasText: "Neon LSP: Test Connection" });
    await paletteEntry.first().waitFor();
    await page.keyboard.press("Enter");
    const statusLabel = page.locator(".statusbar-item", { hasText: "neon · django" }).locator(".statusbar-item-label").first();
    await statusLabel.locator(".codicon-error").waitFor();
    const tooltip = (await statusLabel.getAttribute("aria-label")) ?? "";
    const summary = /Last test \(just now\): (.*)/.exec(tooltip)?.[1];
    if (!summary) throw new Error(`the status bar does not show the last test: ${tooltip}`);
    // The server reported the same outcome itself (window/showMessage).
    await page.locator(".notifications-toasts .notification-list-item", { hasText: summary }).first().waitFor();
    step(`server said: ${summary}`);

    step("restarting the server from the Command Palette");
    await page.keyboard.press("Control+Shift+P");
    await quickInput.waitFor();
    await quickInput.fill(">Neon LSP: Restart Server");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "Neon LSP: Restart Server" }).first().waitFor();
    await page.keyboard.press("Enter");
    await page.locator(".statusbar-item", { hasText: "neon · django" }).first().waitFor();
    step("reading the Neon LSP output");
    await page.keyboard.press("Control+Shift+P");
    await quickInput.waitFor();
    await quickInput.fill(">Neon LSP: Show Output");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "Neon LSP: Show Output" }).first().waitFor();
    await page.keyboard.press("Enter");
    const outputLines = page.locator(".part.panel .view-lines");
    await outputLines.filter({ hasText: "exited with code 0" }).first().waitFor();
    const output = (await outputLines.first().innerText()).replace(/\u00a0/g, " ");
    // The clean exit of a restart is information, not an error; the server is the one this
    // platform's package carries.
    if (!/\[Info\s+- [^\]]+\] Server process exited with code 0/.test(output) || /\[Error[^\]]*\] Server process exited with code 0/.test(output)) {
      throw new Error(`the restart's clean exit is not logged as information:\n${output}`);
    }
    if (!output.includes("(found via bundled)")) throw new Error(`the extension did not run its bundled server:\n${output}`);
    step("passed: bundled server found, diagnostic shown, status bar set, quick fix applied and saved, diagnostic gone, test connection forwarded, restart logged cleanly");
  } catch (error) {
    if (page) {
      const failure = path.join(os.tmpdir(), "neon-lsp-vscode-e2e-failure.png");
      await page.screenshot({ path: failure }).catch(() => {});
      console.error(`screenshot of the failure: ${failure}`);
    }
    if (fs.existsSync(serverLog)) console.error(`code-server log:\n${fs.readFileSync(serverLog, "utf8")}`);
    throw error;
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (child) await stopGroup(child);
    if (process.env.E2E_KEEP === "1") {
      console.log(`kept ${tmp}`);
    } else {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`vscode e2e FAILED: ${error instanceof Error ? error.stack : error}`);
    process.exit(1);
  },
);
