// The layerwise VS Code extension: starts `layerwise lsp` for Dockerfiles and passes the
// `layerwise.rules` settings to it. Everything else (diagnostics, quick fixes, hover, symbols)
// comes from the server through vscode-languageclient.

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

import { findServer } from "./serverPath";

const SECTION = "layerwise";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let context: vscode.ExtensionContext;
/** Serialises start/stop/restart so that two quick restarts do not race. */
let queue: Promise<void> = Promise.resolve();

function enqueue(task: () => Promise<void>): Promise<void> {
  queue = queue.then(task, task);
  return queue;
}

/** The section the server reads: `{"rules": {...}, "target": "stage"}`. */
function serverSettings(scope?: vscode.Uri): { rules: Record<string, string>; target: string | null } {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const rules = config.get<Record<string, string>>("rules");
  const target = config.get<string>("target")?.trim();
  return { rules: { ...(rules ?? {}) }, target: target ? target : null };
}

export async function activate(ctx: vscode.ExtensionContext): Promise<void> {
  context = ctx;
  output = vscode.window.createOutputChannel("layerwise");
  ctx.subscriptions.push(
    output,
    vscode.commands.registerCommand("layerwise.restartServer", () => enqueue(restart)),
    vscode.commands.registerCommand("layerwise.showOutput", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.path`)) {
        output.appendLine("`layerwise.path` changed: restarting the server");
        void enqueue(restart);
      } else if (
        (event.affectsConfiguration(`${SECTION}.rules`) || event.affectsConfiguration(`${SECTION}.target`)) &&
        client?.isRunning()
      ) {
        void client.sendNotification(DidChangeConfigurationNotification.type, {
          settings: { [SECTION]: serverSettings() },
        });
      }
    }),
  );
  await enqueue(start);
}

export function deactivate(): Promise<void> | undefined {
  return enqueue(stop);
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.dispose(2000);
    } catch (error) {
      output.appendLine(`stopping the server: ${String(error)}`);
    }
  }
}

async function start(): Promise<void> {
  const workspaceFolder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const found = findServer({
    env: process.env,
    setting: vscode.workspace.getConfiguration(SECTION).get<string>("path"),
    workspaceFolder,
    extensionPath: context.extensionPath,
  });
  if (!("path" in found)) {
    output.appendLine(found.message);
    for (const place of found.tried) {
      output.appendLine(`  looked at ${place}`);
    }
    void vscode.window
      .showErrorMessage(found.message, "Open Settings", "Show Output")
      .then((choice) => {
        if (choice === "Open Settings") {
          void vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.path`);
        } else if (choice === "Show Output") {
          output.show(true);
        }
      });
    return;
  }
  output.appendLine(`using ${found.path} (from ${found.source})`);

  const serverOptions: ServerOptions = {
    command: found.path,
    args: ["lsp"],
    // adds `--stdio`
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "dockerfile" },
      { scheme: "untitled", language: "dockerfile" },
    ],
    outputChannel: output,
    initializationOptions: serverSettings(),
    middleware: {
      workspace: {
        // The server asks for section `layerwise` and reads `{"rules": {...}, "target": ...}` from it.
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (answers instanceof ResponseError) {
            return answers;
          }
          return params.items.map((item, i) =>
            item.section === SECTION
              ? serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
              : answers[i],
          );
        },
      },
    },
  };
  // The client id `layerwise` makes vscode-languageclient honour `layerwise.trace.server`.
  const next = new LanguageClient("layerwise", "layerwise", serverOptions, clientOptions);
  client = next;
  try {
    await next.start();
  } catch (error) {
    const message = `layerwise: the server at ${found.path} did not start: ${String(error)}`;
    output.appendLine(message);
    void vscode.window.showErrorMessage(message, "Show Output").then((choice) => {
      if (choice) {
        output.show(true);
      }
    });
  }
}
