/**
 * The Iskra token: kept in VS Code's SecretStorage, handed to the server only as the
 * `ISKRA_TOKEN` environment variable of its process (never in an LSP message, which the
 * trace would show). E-mail sign-in runs the server's own flow (`iskra-ls login --json`, the
 * same code as the command line), so there is one flow and one token parser; or the user
 * pastes a token.
 */
import { spawn } from 'child_process';
import * as readline from 'readline';
import * as vscode from 'vscode';

import type { ServerCommand } from './server';

const SECRET_KEY = 'iskra.token';

/** The token in SecretStorage, with a change event (also fired by other windows). */
export class TokenStore implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChange = this.emitter.event;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = secrets.onDidChange((event) => {
      if (event.key === SECRET_KEY) {
        this.emitter.fire();
      }
    });
  }

  get(): Thenable<string | undefined> {
    return this.secrets.get(SECRET_KEY);
  }

  store(token: string): Thenable<void> {
    return this.secrets.store(SECRET_KEY, token);
  }

  delete(): Thenable<void> {
    return this.secrets.delete(SECRET_KEY);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

class AuthError extends Error {}

/** How to run the server executable (the same one the extension starts). */
export type FindServer = () => Promise<ServerCommand>;

/**
 * Ask the user how to sign in and get a token. Returns undefined when cancelled.
 * Shows its own error messages.
 */
export async function signInFlow(apiUrl: string, findServer: FindServer): Promise<string | undefined> {
  const choice = await vscode.window.showQuickPick(
    [
      { label: '$(mail) Sign in with e-mail code', id: 'email', detail: `A one-time code is sent to your e-mail (${apiUrl})` },
      { label: '$(key) Paste a token', id: 'paste', detail: 'A JWT you already have (e.g. from "iskra-ls login")' },
    ],
    { title: 'Iskra: Sign in', placeHolder: 'How do you want to sign in?' },
  );
  if (!choice) {
    return undefined;
  }
  try {
    return choice.id === 'paste' ? await pasteToken() : await emailFlow(apiUrl, findServer);
  } catch (error) {
    if (error instanceof AuthError) {
      void vscode.window.showErrorMessage(`Iskra sign-in failed: ${error.message}`);
      return undefined;
    }
    throw error;
  }
}

async function pasteToken(): Promise<string | undefined> {
  const token = await vscode.window.showInputBox({
    title: 'Iskra: Paste a token',
    prompt: 'Your Iskra token (JWT). It is kept in VS Code\'s secret storage.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'The token cannot be empty'),
  });
  return token?.trim() || undefined;
}

/** One event of `iskra-ls login --email E --json` (one JSON object a stdout line). */
interface LoginEvent {
  event: 'askCode' | 'wrongCode' | 'signedIn' | 'error';
  message?: string;
  token?: string;
}

/**
 * The e-mail code flow, run by the server's own implementation (`iskra-ls login --json`):
 * one flow and one token parser for every editor. It asks for codes through JSON lines; this
 * function only shows the input boxes. The token comes back on the child's stdout (never in
 * an LSP message) and the server stores nothing: SecretStorage keeps it.
 */
async function emailFlow(apiUrl: string, findServer: FindServer): Promise<string | undefined> {
  const email = await vscode.window.showInputBox({
    title: 'Iskra: Sign in (1/2)',
    prompt: 'Your e-mail address; a one-time code will be sent to it.',
    placeHolder: 'you@example.com',
    ignoreFocusOut: true,
    validateInput: (value) => (/^\S+@\S+\.\S+$/.test(value.trim()) ? undefined : 'Enter an e-mail address'),
  });
  if (!email) {
    return undefined;
  }
  const address = email.trim();
  let server: ServerCommand;
  try {
    server = await findServer();
  } catch (error) {
    throw new AuthError((error as Error).message);
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ISKRA_TOKEN;
  const child = spawn(
    server.command,
    [...server.args, 'login', '--email', address, '--json', '--api-url', apiUrl],
    { env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let failure = '';
  child.on('error', (error) => {
    failure = error.message;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    failure = (failure + chunk.toString()).slice(-2000);
  });
  const lines = readline.createInterface({ input: child.stdout! });
  let note: string | undefined;
  try {
    for await (const line of lines) {
      let event: LoginEvent;
      try {
        event = JSON.parse(line) as LoginEvent;
      } catch {
        continue;
      }
      if (event.event === 'askCode') {
        const code = await vscode.window.showInputBox({
          title: 'Iskra: Sign in (2/2)',
          prompt: note ?? `Enter the code sent to ${address}.`,
          ignoreFocusOut: true,
          validateInput: (value) => (value.trim() ? undefined : 'Enter the code from the e-mail'),
        });
        if (!code) {
          return undefined;
        }
        child.stdin?.write(`${code.trim()}\n`);
      } else if (event.event === 'wrongCode') {
        note = event.message;
      } else if (event.event === 'signedIn' && event.token) {
        return event.token;
      } else if (event.event === 'error') {
        throw new AuthError(event.message ?? 'the sign-in failed.');
      }
    }
  } finally {
    lines.close();
    if (child.exitCode === null) {
      child.kill();
    }
  }
  throw new AuthError(`the server ended the sign-in without a token${failure ? `: ${failure.trim()}` : '.'}`);
}
