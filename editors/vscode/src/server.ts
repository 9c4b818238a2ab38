/**
 * Finding and starting the `iskra-ls` language server.
 *
 * Lookup order: the `iskra.server.path` setting, then the server bundled in a platform VSIX
 * (`server/iskra-ls`, a frozen build: no Python needed), then `iskra.server.pythonPath`
 * (`python -m iskra_ls`), then `iskra-ls` on PATH (and ~/.local/bin, where pip --user and
 * pipx put it). VS Code launched from a desktop often lacks the user's virtualenv on PATH, so
 * "not found" gets a message with a button to the setting instead of a silent failure.
 * The three settings are machine-scoped: a workspace cannot choose the program that runs.
 *
 * The token goes to the server only as `ISKRA_TOKEN` in its environment: an LSP message would
 * show it in the client's trace. A new token therefore means a new server process.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  Middleware,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { ClientSettings, SECTION, readLaunchSettings, sanitize } from './settings';

export const STATUS_NOTIFICATION = 'iskra/status';

/** How to run the server, and where that choice came from (for messages). */
export interface ServerCommand {
  command: string;
  args: string[];
  source: 'iskra.server.path' | 'bundled' | 'iskra.server.pythonPath' | 'PATH';
}

/** Why no server command could be made (the message names the setting to fix). */
export class ServerNotFound extends Error {}

/** The frozen server a platform VSIX carries, if this extension has one. */
export function bundledServer(extensionPath: string): string {
  return path.join(extensionPath, 'server', process.platform === 'win32' ? 'iskra-ls.exe' : 'iskra-ls');
}

/** Resolve the server command from the settings, or throw ServerNotFound. */
export async function findServer(settings: ClientSettings, extensionPath: string): Promise<ServerCommand> {
  if (settings.serverPath) {
    if (!(await isExecutable(settings.serverPath))) {
      throw new ServerNotFound(
        `iskra.server.path is "${settings.serverPath}", which is not an executable file.`,
      );
    }
    return { command: settings.serverPath, args: [], source: 'iskra.server.path' };
  }
  const bundled = bundledServer(extensionPath);
  if (await isExecutable(bundled)) {
    return { command: bundled, args: [], source: 'bundled' };
  }
  if (settings.pythonPath) {
    await checkPython(settings.pythonPath);
    return { command: settings.pythonPath, args: ['-m', 'iskra_ls'], source: 'iskra.server.pythonPath' };
  }
  const found = await searchPath('iskra-ls');
  if (!found) {
    throw new ServerNotFound(
      'The Iskra language server (iskra-ls) was not found: this extension package has no ' +
        'bundled server and iskra-ls is not on PATH. Install the VSIX built for your platform ' +
        '(iskra-vscode-<platform>-<version>.vsix), or install the server from a checkout of ' +
        'iskra-ls ("pip install ." in it) and set iskra.server.path to that iskra-ls ' +
        '(or iskra.server.pythonPath to its Python).',
    );
  }
  return { command: found, args: [], source: 'PATH' };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) {
      return false;
    }
    await fs.promises.access(file, process.platform === 'win32' ? fs.constants.F_OK : fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function searchPath(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  if (process.env.HOME) {
    dirs.push(path.join(process.env.HOME, '.local', 'bin'));
  }
  const names = process.platform === 'win32' ? [`${name}.exe`, `${name}.cmd`] : [name];
  for (const dir of dirs) {
    for (const candidate of names) {
      const full = path.join(dir, candidate);
      if (await isExecutable(full)) {
        return full;
      }
    }
  }
  return undefined;
}

/** Fail early, with the reason, when the interpreter cannot import iskra_ls. */
function checkPython(python: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', 'import iskra_ls'], { timeout: 20_000 }, (error, _stdout, stderr) => {
      if (!error) {
        resolve();
        return;
      }
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'does not exist'
        : `cannot import iskra_ls (${stderr.trim().split('\n').pop() ?? error.message})`;
      reject(new ServerNotFound(`iskra.server.pythonPath "${python}" ${reason}.`));
    });
  });
}

/** What the client needs from the rest of the extension. */
export interface ClientHooks {
  outputChannel: vscode.LogOutputChannel;
  /** Called for every `iskra/status` notification. */
  onStatus(payload: unknown): void;
  /** Middleware for server commands run from VS Code (used to prompt for `iskra.ask`). */
  executeCommand: NonNullable<Middleware['executeCommand']>;
}

/** Create (not start) a language client for `server`, with `token` in its environment. */
export function createClient(server: ServerCommand, token: string | undefined, hooks: ClientHooks): LanguageClient {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (token) {
    env.ISKRA_TOKEN = token;
  }
  const serverOptions: ServerOptions = {
    command: server.command,
    args: server.args,
    // The client appends --stdio; iskra-ls accepts and ignores it.
    transport: TransportKind.stdio,
    options: { env },
  };
  const clientOptions: LanguageClientOptions = {
    stdioOptions: { stdout: pipeLines((line, channel) => channel.info(line)), stderr: pipeLines(logServerLine) },
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    outputChannel: hooks.outputChannel,
    // Built from the user's settings: the launch-only keys come from here alone.
    initializationOptions: { [SECTION]: readLaunchSettings() },
    middleware: {
      executeCommand: hooks.executeCommand,
      workspace: {
        // The server pulls section "iskra": send it without client-only keys and nulls.
        configuration: async (params, cancel, next) => {
          const result = await next(params, cancel);
          if (!Array.isArray(result)) {
            return result;
          }
          return result.map((value, index) => (params.items[index]?.section === SECTION ? sanitize(value) : value));
        },
      },
    },
  };
  const client = new LanguageClient('iskra', 'Iskra', serverOptions, clientOptions);
  client.onNotification(STATUS_NOTIFICATION, (payload: unknown) => hooks.onStatus(payload));
  return client;
}

type Pipe = (input: NodeJS.ReadableStream, channel: vscode.LogOutputChannel) => void;

function pipeLines(write: (line: string, channel: vscode.LogOutputChannel) => void): Pipe {
  return (input, channel) => {
    readline
      .createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 })
      .on('line', (line) => write(line, channel));
  };
}

const SERVER_LINE = /^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$/;
let lastLevel = 'ERROR';

/**
 * Write one stderr line of the server at the level it was logged with (the client's default
 * logs all of stderr as errors). Lines without a level (traceback lines) keep the last one.
 * DEBUG goes out as info: whoever set iskra.logLevel to debug wants to see it.
 */
function logServerLine(line: string, channel: vscode.LogOutputChannel): void {
  const match = SERVER_LINE.exec(line);
  if (match) {
    lastLevel = match[1];
    line = match[2];
  }
  if (lastLevel === 'WARNING') {
    channel.warn(line);
  } else if (lastLevel === 'ERROR' || lastLevel === 'CRITICAL') {
    channel.error(line);
  } else {
    channel.info(line);
  }
}

/** Run a server command (workspace/executeCommand); undefined when the client is not running. */
export async function runServerCommand<T>(
  client: LanguageClient | undefined,
  command: string,
  ...args: unknown[]
): Promise<T | undefined> {
  if (!client || client.state !== State.Running) {
    return undefined;
  }
  return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args })) as T;
}
