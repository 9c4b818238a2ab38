/**
 * The Iskra token: kept in VS Code's SecretStorage, handed to the server only as the
 * `ISKRA_TOKEN` environment variable of its process (never in an LSP message, which the
 * trace would show). Sign-in talks to the API itself with fetch, like `iskra-ls login`:
 * send-code -> verify-email -> complete-registration; or the user pastes a token.
 */
import * as vscode from 'vscode';

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

/** Find the token in an auth response: token/accessToken/access_token/jwt, maybe under data. */
export function extractToken(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') {
    return undefined;
  }
  const record = body as Record<string, unknown>;
  for (const key of ['token', 'accessToken', 'access_token', 'jwt']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim()) {
      return value.trim();
    }
  }
  for (const key of ['data', 'result']) {
    const nested = extractToken(record[key]);
    if (nested) {
      return nested;
    }
  }
  return undefined;
}

class AuthError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** Codes a user may type before a new one must be sent (a typo should not cost an e-mail). */
const CODE_ATTEMPTS = 3;

async function post(apiUrl: string, route: string, body: object): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl}${route}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new AuthError(`Cannot reach ${apiUrl} (${(error as Error).message}). Check iskra.apiUrl and your network.`);
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const detail = describeError(parsed) ?? (text.slice(0, 200) || response.statusText);
    throw new AuthError(`${route} failed: HTTP ${response.status}: ${detail}`, response.status);
  }
  return parsed;
}

function describeError(body: unknown): string | undefined {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of ['message', 'detail', 'error']) {
      if (typeof record[key] === 'string') {
        return record[key] as string;
      }
    }
  }
  return undefined;
}

/**
 * Ask the user how to sign in and get a token. Returns undefined when cancelled.
 * Shows its own error messages.
 */
export async function signInFlow(apiUrl: string): Promise<string | undefined> {
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
    return choice.id === 'paste' ? await pasteToken() : await emailFlow(apiUrl);
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

async function emailFlow(apiUrl: string): Promise<string | undefined> {
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
  await post(apiUrl, '/auth/send-code', { email: address });
  let verified: unknown;
  for (let attempt = 1; ; attempt += 1) {
    const code = await vscode.window.showInputBox({
      title: 'Iskra: Sign in (2/2)',
      prompt: attempt === 1
        ? `Enter the code sent to ${address}.`
        : `That code is wrong or has expired; type it again (try ${attempt} of ${CODE_ATTEMPTS}).`,
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? undefined : 'Enter the code from the e-mail'),
    });
    if (!code) {
      return undefined;
    }
    try {
      verified = await post(apiUrl, '/auth/verify-email', { email: address, code: code.trim() });
      break;
    } catch (error) {
      if (!(error instanceof AuthError) || error.status !== 400) {
        throw error;
      }
      if (attempt === CODE_ATTEMPTS) {
        throw new AuthError('the code is wrong or has expired. Sign in again for a new code.');
      }
    }
  }
  // Some deployments answer with the token already at this step.
  const early = extractToken(verified);
  if (early) {
    return early;
  }
  const completed = await post(apiUrl, '/auth/complete-registration', { email: address });
  const token = extractToken(completed);
  if (!token) {
    throw new AuthError('the service answered without a token. Try "Paste a token" instead.');
  }
  return token;
}
