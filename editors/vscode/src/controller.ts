/**
 * The extension's one long-lived object: owns the language client and restarts it when the
 * token or a server-defining setting changes, and implements the `iskra.*` commands.
 *
 * Restarts are serialized: a sign-in during start-up must not leave two servers running.
 */
import * as vscode from 'vscode';
import { DidChangeConfigurationNotification, LanguageClient, State } from 'vscode-languageclient/node';
import { TokenStore, signInFlow } from './auth';
import { ServerNotFound, createClient, findServer, runServerCommand } from './server';
import { RESTART_KEYS, SECTION, effectiveApiUrl, readClientSettings, readServerSettings } from './settings';
import { StatusBar, describeStatus, describeUsage, parseStatus, showMenu } from './status';

/** Arguments of the server's `iskra.ask` command. */
interface AskParams {
  uri: string;
  range?: unknown;
  instruction: string;
}

interface AskResult {
  message?: string;
  applied?: boolean;
}

export class Iskra implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private askFallback: vscode.Disposable | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];
  readonly output = vscode.window.createOutputChannel('Iskra', { log: true });
  readonly tokens: TokenStore;
  readonly status = new StatusBar('iskra.menu');

  private readonly extensionPath: string;
  private readonly version: string;
  private warnedVersion: string | undefined;

  constructor(context: vscode.ExtensionContext) {
    this.extensionPath = context.extensionPath;
    this.version = String((context.extension.packageJSON as { version?: unknown }).version ?? '');
    this.tokens = new TokenStore(context.secrets);
    this.disposables.push(
      this.output,
      this.tokens,
      this.status,
      this.tokens.onDidChange(() => this.restart()),
      vscode.workspace.onDidChangeConfiguration((event) => this.onConfigurationChanged(event)),
      vscode.commands.registerCommand('iskra.signIn', () => this.signIn()),
      vscode.commands.registerCommand('iskra.signOut', () => this.signOut()),
      vscode.commands.registerCommand('iskra.toggleInlineCompletions', () => this.toggleInlineCompletions()),
      vscode.commands.registerCommand('iskra.showStatus', () => this.showStatus()),
      vscode.commands.registerCommand('iskra.showLog', () => this.output.show(true)),
      vscode.commands.registerCommand('iskra.restart', () => this.restart()),
      vscode.commands.registerCommand('iskra.menu', async () =>
        showMenu(this.status.status, (await this.tokens.get()) !== undefined),
      ),
    );
  }

  /** Stop any running client, then start a new one (queued behind earlier restarts). */
  restart(): Promise<void> {
    // A failed start must not jam the queue: later restarts (a fixed setting) still run.
    this.queue = this.queue
      .then(async () => {
        await this.stopClient();
        await this.startClient();
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.output.error(`Starting the server failed: ${message}`);
        this.status.stopped(`The Iskra server did not start: ${message}`);
      });
    return this.queue;
  }

  private async startClient(): Promise<void> {
    this.disposeAskFallback();
    let server;
    try {
      server = await findServer(readClientSettings(), this.extensionPath);
    } catch (error) {
      this.registerAskFallback();
      if (error instanceof ServerNotFound) {
        this.reportNotFound(error);
        return;
      }
      throw error;
    }
    this.output.info(`Starting ${[server.command, ...server.args].join(' ')} (from ${server.source})`);
    this.status.update({ state: 'starting' });
    const client = createClient(server, await this.tokens.get(), {
      outputChannel: this.output,
      onStatus: (payload) => {
        const status = parseStatus(payload);
        if (status) {
          this.status.update(status);
        }
      },
      executeCommand: (command, args, next) =>
        command === 'iskra.ask' ? this.ask(args[0], (params) => next(command, [params])) : next(command, args),
    });
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped && this.client === client) {
        this.status.stopped('The Iskra server stopped; see the log (Iskra: Show log).');
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.status.stopped(`The Iskra server did not start: ${(error as Error).message}`);
      this.output.error(`Start failed: ${(error as Error).message}`);
    }
    this.checkServerVersion(client, server.source);
    // The client registers the server's commands (iskra.ask among them) as VS Code commands;
    // if this server did not, keep "Iskra: Ask…" working through our own registration.
    if (!(await vscode.commands.getCommands(true)).includes('iskra.ask')) {
      this.registerAskFallback();
    }
  }

  /**
   * Warn (once per version) when the server is not the version of this extension: the two
   * are released together, and a stale iskra.server.path or PATH install is the usual cause.
   */
  private checkServerVersion(client: LanguageClient, source: string): void {
    const info = client.initializeResult?.serverInfo;
    if (!info) {
      return;
    }
    this.output.info(`Server ${info.name} ${info.version ?? '(no version)'} (from ${source})`);
    const version = info.version ?? 'unknown';
    if (!this.version || version === this.version || this.warnedVersion === version) {
      return;
    }
    this.warnedVersion = version;
    const where = source === 'bundled' ? 'the bundled server' : `the server from ${source}`;
    void vscode.window.showWarningMessage(
      `Iskra: ${where} is version ${version}, this extension is ${this.version}. ` +
        'Features may not match: point iskra.server.path at the matching iskra-ls, or clear it ' +
        'to use the server bundled with the extension.',
      'Open settings',
    ).then((choice) => {
      if (choice) {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'iskra.server');
      }
    });
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.info(`Stopping the server: ${(error as Error).message}`);
      }
      await client.dispose();
    }
  }

  private reportNotFound(error: ServerNotFound): void {
    this.status.stopped(error.message);
    this.output.info(error.message);
    const setPath = 'Set server path';
    void vscode.window.showErrorMessage(`Iskra: ${error.message}`, setPath, 'Show log').then((choice) => {
      if (choice === setPath) {
        // Both ways of pointing at the server (path, or a Python that has it) side by side.
        void vscode.commands.executeCommand('workbench.action.openSettings', 'iskra.server');
      } else if (choice === 'Show log') {
        this.output.show(true);
      }
    });
  }

  private registerAskFallback(): void {
    if (!this.askFallback) {
      this.askFallback = vscode.commands.registerCommand('iskra.ask', (arg?: unknown) =>
        this.ask(arg, (params) => runServerCommand(this.client, 'iskra.ask', params)),
      );
    }
  }

  private disposeAskFallback(): void {
    this.askFallback?.dispose();
    this.askFallback = undefined;
  }

  /** "Iskra: Ask…": prompt for an instruction (unless given) and send it with the selection. */
  private async ask(arg: unknown, send: (params: AskParams) => unknown): Promise<unknown> {
    let params = isAskParams(arg) ? arg : undefined;
    if (!params) {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showWarningMessage('Iskra: open a file first; Ask works on the selection or the cursor.');
        return undefined;
      }
      const instruction = await vscode.window.showInputBox({
        title: 'Iskra: Ask',
        prompt: editor.selection.isEmpty
          ? 'What should Iskra do here? (works on the code at the cursor)'
          : 'What should Iskra do with the selection?',
        placeHolder: 'e.g. add type hints',
        ignoreFocusOut: true,
      });
      if (!instruction?.trim()) {
        return undefined;
      }
      const client = this.client;
      const range = client ? client.code2ProtocolConverter.asRange(editor.selection) : undefined;
      params = { uri: editor.document.uri.toString(), range, instruction: instruction.trim() };
    }
    if (!this.client || this.client.state !== State.Running) {
      void vscode.window.showErrorMessage('Iskra: the language server is not running.', 'Show log').then((choice) => {
        if (choice) {
          this.output.show(true);
        }
      });
      return undefined;
    }
    // The server reports the outcome itself (window/showMessage): no second message here.
    const result = (await send(params)) as AskResult | undefined;
    this.output.info(`Ask: ${result?.applied ? 'applied' : 'not applied'}: ${result?.message ?? ''}`);
    return result;
  }

  private async signIn(): Promise<void> {
    const token = await signInFlow(effectiveApiUrl(readClientSettings()), () =>
      findServer(readClientSettings(), this.extensionPath),
    );
    if (!token) {
      return;
    }
    await this.tokens.store(token); // The change event restarts the server with the new token.
    void vscode.window.showInformationMessage('Signed in to Iskra.');
  }

  private async signOut(): Promise<void> {
    // The server forgets the token file that `iskra-ls login` may have written as well;
    // otherwise "sign out" would silently keep using it.
    try {
      await runServerCommand(this.client, 'iskra.logout');
    } catch (error) {
      this.output.info(`iskra.logout: ${(error as Error).message}`);
    }
    const had = (await this.tokens.get()) !== undefined;
    await this.tokens.delete();
    if (!had) {
      await this.restart();
    }
    const envNote = process.env.ISKRA_TOKEN ? ' ISKRA_TOKEN is set in VS Code\'s environment and still applies.' : '';
    void vscode.window.showInformationMessage(`Signed out of Iskra.${envNote}`);
  }

  private async toggleInlineCompletions(): Promise<void> {
    const result = await runServerCommand<{ enabled?: boolean }>(this.client, 'iskra.completion.toggle');
    if (result === undefined) {
      void vscode.window.showWarningMessage('Iskra: the language server is not running.');
      return;
    }
    void vscode.window.showInformationMessage(`Iskra inline completions are ${result?.enabled ? 'on' : 'off'}.`);
  }

  private async showStatus(): Promise<void> {
    try {
      const status = parseStatus(await runServerCommand(this.client, 'iskra.status'));
      if (status) {
        this.status.update(status);
      }
    } catch (error) {
      this.output.info(`iskra.status: ${(error as Error).message}`);
    }
    const usage = describeUsage(this.status.status);
    const text = `Iskra: ${describeStatus(this.status.status)}${usage ? ` — ${usage}` : ''}`;
    const choice = await vscode.window.showInformationMessage(text, 'Show log');
    if (choice) {
      this.output.show(true);
    }
  }

  private onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (RESTART_KEYS.some((key) => event.affectsConfiguration(key))) {
      void this.restart();
    } else if (event.affectsConfiguration(SECTION) && this.client?.state === State.Running) {
      void this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: readServerSettings() },
      });
    }
  }

  async dispose(): Promise<void> {
    this.disposeAskFallback();
    await this.queue.catch(() => undefined);
    await this.stopClient();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}

function isAskParams(value: unknown): value is AskParams {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as AskParams).uri === 'string' &&
    typeof (value as AskParams).instruction === 'string'
  );
}
