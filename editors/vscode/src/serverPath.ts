// Finding the layerwise executable. Kept free of the `vscode` module so that it can be tested
// with plain node (`npm test`).

import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Where a server executable came from. */
export type Source = "LAYERWISE_PATH" | "layerwise.path" | "bundled" | "PATH";

export interface Found {
  path: string;
  source: Source;
}

export interface NotFound {
  /** Says what was looked at and how to fix it; shown to the user as is. */
  message: string;
  /** Each place looked at, in order. */
  tried: string[];
}

export interface Lookup {
  /** The extension host's environment (built from a login shell, so its PATH may differ from a terminal's). */
  env: NodeJS.ProcessEnv;
  /** The `layerwise.path` setting, `""` or undefined when unset. */
  setting?: string;
  /** The first workspace folder, against which a relative setting is resolved. */
  workspaceFolder?: string;
  /** The extension's own folder; a bundled server is `server/layerwise[.exe]` in it. */
  extensionPath: string;
  platform?: NodeJS.Platform;
  /** Whether `file` is an executable file; overridable for tests. */
  isExecutable?: (file: string) => boolean;
}

export function executableName(platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? "layerwise.exe" : "layerwise";
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (process.platform !== "win32") {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === "~" || p.startsWith("~/") || p.startsWith("~\\")) {
    return path.join(env.HOME || os.homedir(), p.slice(1));
  }
  return p;
}

/**
 * Finds the server, in this order: the environment variable `LAYERWISE_PATH`, the setting
 * `layerwise.path`, the binary bundled in the extension, `layerwise` on `PATH`. An explicit
 * choice (the variable or the setting) that is not an executable file is an error rather than a
 * silent fall-through, so that a typo is not hidden by another binary.
 */
export function findServer(lookup: Lookup): Found | NotFound {
  const platform = lookup.platform ?? process.platform;
  const isExecutable = lookup.isExecutable ?? isExecutableFile;
  const exe = executableName(platform);
  const tried: string[] = [];

  const explicit: Array<[Source, string | undefined]> = [
    ["LAYERWISE_PATH", lookup.env.LAYERWISE_PATH],
    ["layerwise.path", lookup.setting],
  ];
  for (const [source, raw] of explicit) {
    const value = raw?.trim();
    if (!value) {
      tried.push(`${source}: not set`);
      continue;
    }
    let candidate = expandHome(value, lookup.env);
    if (!path.isAbsolute(candidate) && lookup.workspaceFolder) {
      candidate = path.resolve(lookup.workspaceFolder, candidate);
    }
    if (isExecutable(candidate)) {
      return { path: candidate, source };
    }
    tried.push(`${source}: ${candidate} is not an executable file`);
    const fix =
      source === "LAYERWISE_PATH"
        ? "Fix or unset the environment variable LAYERWISE_PATH (VS Code reads it when it starts)."
        : "Fix or clear the setting `layerwise.path`.";
    return {
      message: `layerwise: ${source} is ${candidate}, which is not an executable file. ${fix}`,
      tried,
    };
  }

  const bundled = path.join(lookup.extensionPath, "server", exe);
  if (isExecutable(bundled)) {
    return { path: bundled, source: "bundled" };
  }
  tried.push(`bundled: no ${bundled}`);

  const dirs = (lookup.env.PATH ?? lookup.env.Path ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, exe);
    if (isExecutable(candidate)) {
      return { path: candidate, source: "PATH" };
    }
  }
  tried.push(`PATH: no ${exe} in ${dirs.join(path.delimiter) || "(empty PATH)"}`);

  return {
    message:
      "layerwise: the language server was not found. Install it (`cargo install --path .` in a clone " +
      "of layerwise puts it in ~/.cargo/bin) and set `layerwise.path` to the binary, or put it on " +
      "the PATH that VS Code starts with (VS Code reads PATH from a login shell, which may differ " +
      "from your terminal's), then run “layerwise: Restart Server”.",
    tried,
  };
}
