/**
 * The status bar item, driven by the server's `iskra/status` notifications:
 * state icon, model and "N left" (requests remaining today). A click opens a small menu,
 * which also shows the day across every editor on this machine (the server's quota ledger):
 * requests by kind, what the automatic share has left, and when the quota resets.
 */
import * as vscode from 'vscode';

/** Payload of `iskra/status`; numbers may be null when unknown. */
export interface StatusPayload {
  state: string;
  tier?: string | null;
  requestsToday?: number | null;
  limit?: number | null;
  remaining?: number | null;
  model?: string | null;
  message?: string | null;
  /** False until Iskra's `/auth/me` has answered today (the free plan's 20 is assumed). */
  planKnown?: boolean | null;
  /** Today's requests of every editor on this machine, by kind. */
  byKind?: { automatic?: number; invoked?: number; action?: number } | null;
  /** Automatic (typing-triggered) completions left in their share of the day. */
  automaticLeft?: number | null;
  /** When the day's quota resets (ISO 8601, UTC). */
  resetsAt?: string | null;
}

const ICONS: Record<string, string> = {
  starting: '$(loading~spin)',
  ready: '$(sparkle)',
  working: '$(sync~spin)',
  signedOut: '$(account)',
  quotaExhausted: '$(circle-slash)',
  paused: '$(debug-pause)',
  offline: '$(debug-disconnect)',
  error: '$(error)',
  disabled: '$(circle-slash)',
};

const DESCRIPTIONS: Record<string, string> = {
  starting: 'starting',
  ready: 'ready',
  working: 'working…',
  signedOut: 'not signed in',
  quotaExhausted: "today's requests are used up",
  paused: 'automatic completions paused',
  offline: 'the service cannot be reached',
  error: 'error',
  disabled: 'inline completions off',
  stopped: 'server not running',
};

export function parseStatus(raw: unknown): StatusPayload | undefined {
  if (!raw || typeof raw !== 'object' || typeof (raw as StatusPayload).state !== 'string') {
    return undefined;
  }
  return raw as StatusPayload;
}

/** One-line summary, e.g. "ready · qwen3-coder-flash · 15 of 20 requests left today (free)". */
export function describeStatus(status: StatusPayload): string {
  const parts = [DESCRIPTIONS[status.state] ?? status.state];
  if (status.model) {
    parts.push(status.model);
  }
  if (typeof status.remaining === 'number') {
    const of = typeof status.limit === 'number' ? ` of ${status.limit}` : '';
    const tier = status.tier ? ` (${status.tier})` : '';
    parts.push(`${status.remaining}${of} requests left today${tier}`);
  }
  let line = parts.join(' · ');
  if (status.message) {
    // The server's message usually says the state better ("Not signed in to Iskra.").
    const said = status.message.toLowerCase().includes(parts[0].toLowerCase());
    line = said ? [status.message, ...parts.slice(1)].join(' · ') : `${line} — ${status.message}`;
  }
  return line;
}

/**
 * The day across every editor on this machine, e.g.
 * "today on this machine: 3 automatic · 1 invoked · 2 action; 6 automatic left; resets 00:00 UTC".
 */
export function describeUsage(status: StatusPayload): string | undefined {
  const kinds = status.byKind;
  if (!kinds) {
    return undefined;
  }
  const parts = [
    `today on this machine: ${kinds.automatic ?? 0} automatic · ${kinds.invoked ?? 0} invoked · ${kinds.action ?? 0} action`,
  ];
  if (typeof status.automaticLeft === 'number') {
    parts.push(`${status.automaticLeft} automatic left`);
  }
  if (status.resetsAt) {
    const at = new Date(status.resetsAt);
    const time = Number.isNaN(at.getTime()) ? status.resetsAt : `${at.toISOString().slice(11, 16)} UTC`;
    parts.push(`resets ${time}`);
  }
  if (status.planKnown === false) {
    parts.push("free plan's 20 assumed until Iskra answers");
  }
  return parts.join('; ');
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: StatusPayload = { state: 'starting' };

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('iskra.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Iskra';
    this.item.command = command;
    this.render();
    this.item.show();
  }

  get status(): StatusPayload {
    return this.last;
  }

  update(status: StatusPayload): void {
    this.last = status;
    this.render();
  }

  /** The server is not running (not found, crashed, or stopped). */
  stopped(message: string): void {
    this.update({ state: 'stopped', message });
  }

  private render(): void {
    const status = this.last;
    const icon = ICONS[status.state] ?? '$(warning)';
    const parts = [`${icon} Iskra`];
    if (status.model && status.state !== 'signedOut' && status.state !== 'stopped') {
      parts.push(status.model);
    }
    if (typeof status.remaining === 'number') {
      parts.push(`${status.remaining} left`);
    }
    this.item.text = parts.join(' · ');
    const usage = describeUsage(status);
    this.item.tooltip = `Iskra: ${describeStatus(status)}${usage ? `\n${usage}` : ''}\nClick for the Iskra menu.`;
    this.item.accessibilityInformation = { label: `Iskra: ${describeStatus(status)}`, role: 'button' };
    const alarming = ['error', 'offline', 'quotaExhausted', 'stopped'].includes(status.state);
    this.item.backgroundColor = alarming ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** The status bar menu: what the user can do from there. */
export async function showMenu(status: StatusPayload, signedIn: boolean): Promise<void> {
  const items: (vscode.QuickPickItem & { command: string })[] = [
    {
      label: status.state === 'disabled' ? '$(eye) Turn inline completions on' : '$(eye-closed) Turn inline completions off',
      command: 'iskra.toggleInlineCompletions',
    },
    signedIn || status.state !== 'signedOut'
      ? { label: '$(sign-out) Sign out', command: 'iskra.signOut' }
      : { label: '$(sign-in) Sign in', command: 'iskra.signIn' },
    { label: '$(comment-discussion) Ask…', command: 'iskra.ask' },
    { label: '$(info) Show status', description: describeStatus(status), command: 'iskra.showStatus' },
    ...(describeUsage(status)
      ? [{ label: '$(graph) Today', description: describeUsage(status), command: 'iskra.showStatus' }]
      : []),
    { label: '$(output) Show log', command: 'iskra.showLog' },
    { label: '$(debug-restart) Restart language server', command: 'iskra.restart' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Iskra', placeHolder: describeStatus(status) });
  if (pick) {
    await vscode.commands.executeCommand(pick.command);
  }
}
