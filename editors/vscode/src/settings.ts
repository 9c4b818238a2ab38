/**
 * Typed view of the `iskra.*` settings contributed in package.json.
 *
 * Settings flow one way: package.json `contributes.configuration` -> these readers ->
 * the server (initializationOptions `{"iskra": {...}}`, then `workspace/configuration`).
 * The client-only keys (`server.*`, `trace.*`) never reach the server, and neither does a
 * `token` someone put in settings.json: the token travels only in the process environment,
 * because anything in an LSP message shows up in the trace.
 */
import * as vscode from 'vscode';

export const SECTION = 'iskra';

/**
 * Keys whose change needs a new server process rather than a configuration update
 * (`completion.transport` decides the capabilities the server announces at start-up).
 */
export const RESTART_KEYS = [
  'iskra.server.path',
  'iskra.server.pythonPath',
  'iskra.apiUrl',
  'iskra.completion.transport',
];

/** Settings the client itself uses to find and start the server. */
export interface ClientSettings {
  /** Path to the `iskra-ls` executable ('' = not set). */
  serverPath: string;
  /** Python interpreter to run `-m iskra_ls` with ('' = not set). */
  pythonPath: string;
  /** API root for the extension's own sign-in calls ('' = the server's default). */
  apiUrl: string;
}

/** The part of the section the server reads; mirrors the server's Settings model. */
export interface ServerSettings {
  apiUrl?: string;
  allowUnknownModels?: boolean;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  requestTimeoutS?: number;
  logLevel?: 'error' | 'warning' | 'info' | 'debug';
  completion?: {
    mode?: 'auto' | 'manual' | 'off';
    model?: string;
    debounceMs?: number;
    adaptiveDebounce?: boolean;
    autoBudget?: number;
    transport?: 'auto' | 'inline' | 'completionItem' | 'both';
    budgetChars?: number;
    skipHeuristics?: boolean;
    maxTokens?: number;
  };
  actions?: {
    model?: string;
    maxSteps?: number;
    custom?: { title: string; instruction: string; kinds?: string[] }[];
    secretGlobs?: string[];
    timeoutS?: number;
  };
}

/** Keys of the section that belong to the client (or must never be sent). */
const CLIENT_ONLY = new Set(['server', 'trace', 'token']);

/** Default API root, used by sign-in when neither the setting nor the env names one. */
export const DEFAULT_API_URL = 'https://cli.cryptocatslab.ru';

export function readClientSettings(): ClientSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    serverPath: expandHome(config.get<string>('server.path', '').trim()),
    pythonPath: expandHome(config.get<string>('server.pythonPath', '').trim()),
    apiUrl: config.get<string>('apiUrl', '').trim(),
  };
}

/** The API root the server will use, for the extension's own HTTP calls (sign-in). */
export function effectiveApiUrl(settings: ClientSettings): string {
  const url = settings.apiUrl || process.env.ISKRA_API_URL || DEFAULT_API_URL;
  return url.replace(/\/+$/, '');
}

/** The `iskra` section as the server should see it. */
export function readServerSettings(): ServerSettings {
  return sanitize(vscode.workspace.getConfiguration(SECTION)) as ServerSettings;
}

/**
 * Drop client-only keys, nulls and empty strings.
 *
 * VS Code reports every contributed key, unset ones as null or '' (an unset `apiUrl` is ''):
 * the server treats a missing key as "use the default" but would reject '' as a URL.
 * Accepts a WorkspaceConfiguration (whose own keys are the top-level settings) or plain data.
 */
export function sanitize(section: unknown): Record<string, unknown> {
  const data = JSON.parse(JSON.stringify(section ?? {})) as Record<string, unknown>;
  for (const key of CLIENT_ONLY) {
    delete data[key];
  }
  return prune(data) as Record<string, unknown>;
}

function prune(value: unknown): unknown {
  if (Array.isArray(value) || value === null || typeof value !== 'object') {
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined || item === '') {
      continue;
    }
    out[key] = prune(item);
  }
  return out;
}

function expandHome(path: string): string {
  if (path === '~' || path.startsWith('~/')) {
    return (process.env.HOME ?? '') + path.slice(1);
  }
  return path;
}
