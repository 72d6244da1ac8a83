/**
 * What the status-bar item says: the connection that applies to the active file (target and
 * client type, from the server's `neon-lsp.describeConnection`) and the last connection test's
 * outcome. Pure, so it is unit-tested without VS Code; it knows nothing about how the item is
 * drawn or when it is refreshed.
 */

/** The server's `neon-lsp.describeConnection` answer (null when no connection applies). */
export interface ConnectionDescription {
  target: string;
  name?: string | null;
  clientType?: string | null;
  auth?: string;
  reason?: string;
  envFiles?: string[];
  others?: number;
}

export interface TestOutcome {
  ok: boolean;
  summary: string;
  cancelled?: boolean;
  /** When the test finished. */
  at: Date;
}

export type ServerState =
  | { kind: "starting" }
  | { kind: "running" }
  | { kind: "stopped"; reason: string };

export interface StatusInput {
  server: ServerState;
  connection: ConnectionDescription | null | undefined;
  lastTest: TestOutcome | undefined;
  /** The server's last `neon-lsp/deployedStatus` (only sent with `neon-lsp.azure.deployed` on). */
  deployed?: DeployedStatus;
}

/** `neon-lsp/deployedStatus`: what Azure has deployed, or the cached read and its age. */
export interface DeployedStatus {
  /** "deployed: nodejs · secret", "deployed: nodejs · secret (cached, 2 h ago)", "deployed: unavailable". */
  text: string;
  tooltip: string;
  fromCache: boolean;
  ageSeconds: number | null;
}

/** Reads a `neon-lsp/deployedStatus` notification's params; undefined when it is not one. */
export function parseDeployedStatus(params: unknown): DeployedStatus | undefined {
  if (params === null || typeof params !== "object") return undefined;
  const { text, tooltip, fromCache, ageSeconds } = params as Record<string, unknown>;
  if (typeof text !== "string" || !text.startsWith("deployed:")) return undefined;
  return {
    text,
    tooltip: typeof tooltip === "string" ? tooltip : "",
    fromCache: fromCache === true,
    ageSeconds: typeof ageSeconds === "number" ? ageSeconds : null,
  };
}

export interface StatusPresentation {
  text: string;
  tooltip: string;
  /** Drawn with the error background (the server is not running). */
  error: boolean;
}

/** Reads a `neon-lsp.testConnection` result; anything else (an error object, null) is not a test. */
export function parseTestResult(result: unknown, at: Date): TestOutcome | undefined {
  if (result === null || typeof result !== "object") return undefined;
  const { ok, summary, cancelled } = result as Record<string, unknown>;
  if (typeof ok !== "boolean") return undefined;
  return {
    ok,
    summary: typeof summary === "string" ? summary : ok ? "connected" : "failed",
    cancelled: cancelled === true,
    at,
  };
}

/** Reads a `neon-lsp.describeConnection` result; null when the server says no connection applies. */
export function parseConnection(result: unknown): ConnectionDescription | null {
  if (result === null || typeof result !== "object") return null;
  const described = result as Record<string, unknown>;
  if (typeof described.target !== "string") return null;
  return described as unknown as ConnectionDescription;
}

export function presentStatus(input: StatusInput, now: Date = new Date()): StatusPresentation {
  if (input.server.kind === "stopped") {
    return { text: "$(error) neon-lsp", tooltip: `neon-lsp is not running: ${input.server.reason}`, error: true };
  }
  if (input.server.kind === "starting") {
    return { text: "$(sync~spin) neon-lsp", tooltip: "neon-lsp is starting", error: false };
  }
  const lines: string[] = [];
  let text: string;
  const connection = input.connection;
  if (connection) {
    const parts = [connection.name ? `${connection.target} ${connection.name}` : connection.target];
    if (connection.clientType) parts.push(connection.clientType);
    text = `$(database) ${parts.join(" · ")}`;
    lines.push(
      `Connection: target ${connection.target}${connection.name ? ` (name ${connection.name})` : ""}, ` +
        `client type ${connection.clientType ?? "unknown"}, auth ${connection.auth ?? "unknown"}`,
    );
    if (connection.reason) lines.push(`Why: ${connection.reason}`);
    if (connection.envFiles && connection.envFiles.length > 0) lines.push(`.env files: ${connection.envFiles.join(", ")}`);
    if (connection.others) lines.push(`${connection.others} more connection(s) apply to this file`);
  } else {
    text = "$(database) neon-lsp";
    lines.push("No Service Connector connection applies to the active file");
  }
  if (input.lastTest) {
    const test = input.lastTest;
    text += test.cancelled ? " $(circle-slash)" : test.ok ? " $(check)" : " $(error)";
    lines.push(`Last test (${describeAge(test.at, now)}): ${test.cancelled ? "cancelled" : test.summary}`);
  } else {
    lines.push("No connection test yet");
  }
  if (input.deployed) {
    text += ` $(${input.deployed.fromCache ? "cloud-download" : "cloud"}) ${input.deployed.text}`;
    lines.push(input.deployed.tooltip ? `${input.deployed.text}\n${input.deployed.tooltip}` : input.deployed.text);
    lines.push('Run "Neon LSP: Refresh Deployed Configuration" to read Azure again');
  }
  lines.push("Click to test the connection");
  return { text, tooltip: lines.join("\n"), error: false };
}

function describeAge(at: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `at ${at.toLocaleTimeString()}`;
}
