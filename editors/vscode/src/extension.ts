/**
 * Entry point: everything lives in the Iskra controller (controller.ts); activation only
 * creates it and starts the language server.
 */
import * as vscode from 'vscode';
import { Iskra } from './controller';

let iskra: Iskra | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  iskra = new Iskra(context);
  await iskra.restart();
}

export async function deactivate(): Promise<void> {
  await iskra?.dispose();
  iskra = undefined;
}
