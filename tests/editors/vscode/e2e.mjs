// End-to-end test of the layerwise VS Code extension in real VS Code: code-server (VS Code in
// the browser) driven by Debian's Chromium through playwright-core.
//
//   node tests/editors/vscode/e2e.mjs --vsix FILE --layerwise BIN --out DIR [--modules DIR]
//
// --vsix       the packaged extension to install (built with the server bundled in it)
// --layerwise  the same server binary, run on the command line to know what to expect
// --out        screenshots, code-server's log and the workspace after the test
// --modules    the folder whose node_modules hold code-server and playwright-core
//              (default .cache/editors/vscode-test, made by tests/editors/setup.sh vscode)
//
// Each step prints `ok      vscode: NAME` or `FAILED  vscode: NAME` and why; the last line is
// `N passed, N failed`. LAYERWISE_E2E_TIMEOUT (ms, default 30000) bounds each wait;
// LAYERWISE_UPDATE_SCREENSHOT=1 also copies the quick-fix screenshot to
// editors/vscode/images/quick-fix.png, and the completion and hover ones to docs/completion.png
// and docs/hover.png (the README's).

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const { values: opts } = parseArgs({
  options: {
    vsix: { type: "string" },
    layerwise: { type: "string" },
    out: { type: "string", default: path.join(repo, "tests/out/vscode") },
    modules: { type: "string", default: path.join(repo, ".cache/editors/vscode-test") },
  },
});
if (!opts.vsix || !opts.layerwise) {
  console.error("usage: e2e.mjs --vsix FILE --layerwise BIN [--out DIR] [--modules DIR]");
  process.exit(2);
}
const FIX_TITLE = "Copy dependency manifests first";
const TIMEOUT = Number(process.env.LAYERWISE_E2E_TIMEOUT) || 30000;
const codeServer = path.join(opts.modules, "node_modules/.bin/code-server");
const { chromium } = createRequire(path.join(opts.modules, "package.json"))("playwright-core");

const out = path.resolve(opts.out);
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "layerwise-vscode-"));
const dirs = {
  userData: path.join(tmp, "user-data"),
  extensions: path.join(tmp, "extensions"),
  profile: path.join(tmp, "chromium"),
  workspace: path.join(tmp, "example"),
};
for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
// code-server and Chromium keep logs and state under HOME and the XDG folders: keep them in tmp
const home = path.join(tmp, "home");
const isolated = {
  ...process.env,
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, ".config"),
  XDG_DATA_HOME: path.join(home, ".local/share"),
  XDG_CACHE_HOME: path.join(home, ".cache"),
  XDG_STATE_HOME: path.join(home, ".local/state"),
  LAYERWISE_PATH: "", // so that the extension takes the server bundled in the .vsix
};
fs.mkdirSync(home, { recursive: true });
fs.cpSync(path.join(repo, "tests/fixtures/example"), dirs.workspace, { recursive: true });
const dockerfile = path.join(dirs.workspace, "Dockerfile");
const original = fs.readFileSync(dockerfile, "utf8");
const userSettingsFile = path.join(dirs.userData, "User/settings.json");
const baseSettings = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "chat.commandCenter.enabled": false,
  "editor.lightbulb.enabled": "on",
  "files.autoSave": "off",
  // completion lists only what the server offers; continuation lines indent by 4 spaces
  "editor.wordBasedSuggestions": "off",
  "editor.detectIndentation": false,
  "layerwise.trace.server": process.env.LAYERWISE_E2E_TRACE || "off",
};
function writeUserSettings(extra = {}) {
  fs.mkdirSync(path.dirname(userSettingsFile), { recursive: true });
  fs.writeFileSync(userSettingsFile, JSON.stringify({ ...baseSettings, ...extra }, null, 2));
}
writeUserSettings();

let passed = 0;
let failed = 0;
let page;
let shots = 0;
async function screenshot(name, options = {}) {
  if (!page) return undefined;
  shots += 1;
  const file = path.join(out, `${String(shots).padStart(2, "0")}-${name}.png`);
  try {
    await page.screenshot({ path: file, ...options });
  } catch (error) {
    console.log(`    (no screenshot ${name}: ${error.message.split("\n")[0]})`);
  }
  return file;
}
/** Runs one step; a failure is reported with a screenshot and the next steps still run. */
async function step(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok      vscode: ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAILED  vscode: ${name}`);
    console.log(`    ${String(error?.stack ?? error).split("\n").slice(0, 6).join("\n    ")}`);
    const shot = await screenshot(`failed-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`);
    if (shot) console.log(`    screenshot: ${path.relative(repo, shot)}`);
    // leave no menu or widget open for the next step
    await page?.keyboard.press("Escape").catch(() => {});
  }
}
function check(condition, message) {
  if (!condition) throw new Error(message);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Polls `fn` until it returns a truthy value; throws with `what` after TIMEOUT. */
async function until(what, fn, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (last: ${last})` : ""}`);
    }
    await sleep(200);
  }
}

/** What `layerwise check` finds in the workspace, as the status bar counts it. */
function expectedCounts() {
  let json;
  try {
    json = execFileSync(opts.layerwise, ["check", "--format", "json", dirs.workspace], { encoding: "utf8" });
  } catch (error) {
    json = error.stdout; // exit status 1: something was found
  }
  const findings = JSON.parse(json);
  const count = (severity) => findings.filter((f) => f.severity === severity).length;
  return { errors: count("error"), warnings: count("warning"), infos: count("info"), findings };
}
/** The status bar's problem counts, from its accessible label ("Errors: 1, Warnings: 9"). */
async function statusCounts() {
  const label = (await page.locator('[id="status.problems"]').getAttribute("aria-label")) ?? "";
  const n = (word) => Number(new RegExp(`${word}s?: (\\d+)`).exec(label)?.[1] ?? 0);
  return { errors: n("Error"), warnings: n("Warning"), infos: n("Info"), label };
}
async function waitForCounts(expected) {
  const want = `${expected.errors} errors, ${expected.warnings} warnings, ${expected.infos} infos`;
  await until(`the status bar to count ${want}`, async () => {
    const got = await statusCounts();
    return got.errors === expected.errors && got.warnings === expected.warnings && got.infos === expected.infos
      ? got
      : (() => {
          throw `"${got.label}"`;
        })();
  });
}

/** The squiggles on a 1-based editor line: [{cls, left, width}]. */
async function squigglesOnLine(line) {
  return page.evaluate((line) => {
    const editor = document.querySelector(".editor-instance .monaco-editor");
    if (!editor) return [];
    const lineHeight = parseFloat(getComputedStyle(editor.querySelector(".view-lines")).lineHeight);
    const result = [];
    for (const row of editor.querySelectorAll(".view-overlays > div")) {
      if (Math.round(parseFloat(row.style.top) / lineHeight) + 1 !== line) continue;
      for (const decoration of row.querySelectorAll('[class*="squiggly-"]')) {
        result.push({
          cls: [...decoration.classList].find((c) => c.startsWith("squiggly-")),
          left: parseFloat(decoration.style.left),
          width: parseFloat(decoration.style.width),
        });
      }
    }
    return result;
  }, line);
}
async function editorLines() {
  return page.locator(".editor-instance .monaco-editor .view-line").allInnerTexts();
}
async function runCommand(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: TIMEOUT });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: TIMEOUT });
  await page.keyboard.press("Enter");
}
async function outputText() {
  return (await page.locator(".panel .output-view .view-lines, .panel [id='workbench.panel.output'] .view-lines").first().innerText()).replace(/\u00a0/g, " ");
}
/** Puts the cursor at a 1-based line and column, with "Go to Line/Column" (Ctrl+G). */
async function goTo(line, column) {
  await page.keyboard.press("Control+g");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: TIMEOUT });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await until(`the cursor at ${line}:${column}`, async () =>
    new RegExp(`^Ln ${line}, Col ${column}$`).test((await page.locator('[id="status.editor.selection"]').innerText()).trim()),
  );
}
/** Opens a workspace file with Quick Open and waits for its first line. */
async function openFile(relative, firstLine) {
  await page.keyboard.press("Control+p");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(relative);
  // the row of that file (its folder is the row's description), not a recently opened namesake
  const rows = page.locator(".quick-input-widget .monaco-list-row", { hasText: path.basename(relative) });
  const row = path.dirname(relative) === "." ? rows.first() : rows.filter({ hasText: path.dirname(relative) }).first();
  await row.click();
  await until(`the editor to show ${relative}`, async () => (await editorLines())[0]?.replace(/\u00a0/g, " ") === firstLine);
}
/** The editor's lines, spaces as typed. */
async function editorText() {
  return (await editorLines()).map((l) => l.replace(/\u00a0/g, " "));
}
/** A clip of the editor part down to `widget`'s bottom, for the README's pictures. */
async function editorClip(widget) {
  const box = await widget.boundingBox();
  const part = await page.locator(".part.editor").boundingBox();
  const bottom = Math.min(800, Math.max(box.y + box.height, part.y + 35 + 22 + 18 * 19) + 12);
  const width = Math.min(1280 - part.x, Math.max(720, box.x + box.width + 24 - part.x));
  return { x: part.x, y: part.y, width, height: bottom - part.y };
}
/** Puts the cursor at the start of a 1-based line. */
async function goToLine(line) {
  await page.locator(".editor-instance .monaco-editor .view-line").nth(line - 1).click();
  await page.keyboard.press("Home");
  await page.keyboard.press("Home"); // the first press may stop at the indentation
}

// --- start ---------------------------------------------------------------------------------

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

let codeServerProcess;
let context;
const watchdog = setTimeout(() => {
  console.log("FAILED  vscode: the whole test took over 10 minutes");
  cleanup().finally(() => process.exit(1));
}, 10 * 60 * 1000);

async function cleanup() {
  clearTimeout(watchdog);
  await context?.close().catch(() => {});
  if (codeServerProcess?.pid && codeServerProcess.exitCode === null) {
    try {
      process.kill(-codeServerProcess.pid, "SIGTERM"); // its process group: the server and its helpers
    } catch {}
    await sleep(500);
    try {
      process.kill(-codeServerProcess.pid, "SIGKILL");
    } catch {}
  }
}

const started = Date.now();
try {
  const common = ["--config", "/dev/null", "--user-data-dir", dirs.userData, "--extensions-dir", dirs.extensions];

  await step("code-server installs the .vsix", async () => {
    const log = execFileSync(codeServer, [...common, "--install-extension", path.resolve(opts.vsix)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: isolated,
    });
    check(/successfully installed/i.test(log), log);
    const list = execFileSync(codeServer, [...common, "--list-extensions", "--show-versions"], { encoding: "utf8", env: isolated });
    check(/^layerwise\.layerwise@/m.test(list), `not listed: ${list}`);
  });

  const port = await freePort();
  const log = fs.openSync(path.join(out, "code-server.log"), "w");
  codeServerProcess = spawn(
    codeServer,
    [
      ...common,
      "--auth", "none",
      "--bind-addr", `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--ignore-last-opened",
      dirs.workspace,
    ],
    // its own process group, to end it with its helpers
    { detached: true, stdio: ["ignore", log, log], env: isolated },
  );
  await until("code-server to listen", () =>
    fs.readFileSync(path.join(out, "code-server.log"), "utf8").includes("HTTP server listening"),
  );

  context = await chromium.launchPersistentContext(dirs.profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    env: isolated,
    viewport: { width: 1280, height: 800 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);

  const expected = expectedCounts();
  check(
    expected.findings.some((f) => f.rule === "cache-busting-copy" && f.line === 2 && f.column === 1),
    `layerwise check finds no cache-busting-copy at 2:1 in the example: ${JSON.stringify(expected.findings)}`,
  );

  await step("the example's Dockerfile opens with the language Dockerfile", async () => {
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 90000 });
    await page.locator('[id="status.problems"]').waitFor();
    await page.keyboard.press("Control+p");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible" });
    await input.fill("Dockerfile");
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "Dockerfile" }).first().waitFor();
    await page.keyboard.press("Enter");
    await until("the editor to show the Dockerfile", async () => (await editorLines())[1]?.includes("COPY"));
    const mode = page.locator('[id="status.editor.mode"]');
    await until("the language mode Dockerfile", async () => (await mode.innerText()).trim() === "Dockerfile");
  });

  await step("a warning squiggle under `COPY . /app` (line 2, from column 1)", async () => {
    const squiggles = await until("a squiggle on line 2", async () => {
      const found = await squigglesOnLine(2);
      return found.length > 0 && found;
    });
    check(
      squiggles.some((s) => s.cls === "squiggly-warning" && s.left === 0 && s.width > 0),
      `line 2 has ${JSON.stringify(squiggles)}`,
    );
    await screenshot("diagnostics");
  });

  await step(`the Problems count matches layerwise check (${expected.warnings} warnings)`, async () => {
    await waitForCounts(expected);
    await page.keyboard.press("Control+Shift+m");
    const rows = page.locator(".markers-panel .monaco-list-row");
    await until("a cache-busting-copy row in the Problems panel", async () =>
      (await rows.allInnerTexts()).some((text) => text.includes("cache-busting-copy")),
    );
    const badge = page.locator(".markers-panel .monaco-list-row .monaco-count-badge").first();
    const total = expected.errors + expected.warnings + expected.infos;
    check(Number(await badge.innerText()) === total, `Problems badge ${await badge.innerText()}, expected ${total}`);
    await screenshot("problems");
  });

  await step("“layerwise: Show Output” shows the bundled server in use", async () => {
    await runCommand("layerwise: Show Output");
    await until("the output channel to name the bundled server", async () =>
      /using .*\/layerwise\.layerwise-[^/]+\/server\/layerwise \(from bundled\)/.test(await outputText()),
    );
    await screenshot("output");
  });

  await step("`layerwise.rules` reaches the server without a restart", async () => {
    const workdir = expected.findings.filter((f) => f.rule === "relative-workdir");
    check(workdir.length === 1, `expected one relative-workdir finding, got ${workdir.length}`);
    // the workspace's settings, as a user edits .vscode/settings.json
    const settingsFile = path.join(dirs.workspace, ".vscode/settings.json");
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, JSON.stringify({ "layerwise.rules": { "relative-workdir": "off", "cache-busting-copy": "error" } }));
    await waitForCounts({ ...expected, errors: expected.errors + 1, warnings: expected.warnings - 2 });
    const squiggles = await squigglesOnLine(2);
    check(squiggles.some((s) => s.cls === "squiggly-error"), `line 2 has ${JSON.stringify(squiggles)}`);
    fs.writeFileSync(settingsFile, "{}");
    await waitForCounts(expected);
  });

  await step("“layerwise: Restart Server” restarts it and the diagnostics come back", async () => {
    const before = (await outputText()).match(/^using /gm)?.length ?? 0;
    await runCommand("layerwise: Restart Server");
    await until("a second start in the output", async () => ((await outputText()).match(/^using /gm)?.length ?? 0) > before);
    await page.waitForTimeout(500);
    await waitForCounts(expected);
    await page.keyboard.press("Control+Shift+m"); // the Problems panel again, for the next screenshots
  });

  await step("a wrong `layerwise.path` is reported (notification, output), and fixing it restarts the server", async () => {
    const settingsFile = path.join(dirs.workspace, ".vscode/settings.json");
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, JSON.stringify({ "layerwise.path": "/nonexistent/layerwise" }));
    const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "not an executable file" }).first();
    await toast.waitFor({ state: "visible" });
    const message = (await toast.innerText()).replace(/\s+/g, " ");
    check(/layerwise\.path is \/nonexistent\/layerwise/.test(message), `the notification says: ${message}`);
    await waitForCounts({ errors: 0, warnings: 0, infos: 0 }); // the server is stopped
    await screenshot("wrong-path");
    await toast.locator(".monaco-button", { hasText: "Show Output" }).click();
    await until("the output channel to explain where it looked", async () => {
      const text = await outputText();
      return text.includes("/nonexistent/layerwise") && text.includes("looked at");
    });
    fs.writeFileSync(settingsFile, "{}");
    await waitForCounts(expected);
    await runCommand("Notifications: Clear All Notifications");
    await page.keyboard.press("Control+Shift+m");
  });

  await step(`the quick-fix menu on the COPY line applies “${FIX_TITLE}”, saved to disk`, async () => {
    await goToLine(2);
    await page.keyboard.press("Control+.");
    const rows = page.locator(".action-widget .monaco-list-row.action");
    await rows.first().waitFor({ state: "visible" });
    await page.waitForTimeout(300); // the menu settles
    const titles = await rows.evaluateAll((els) => els.map((el) => el.getAttribute("aria-label") ?? el.textContent));
    const fix = titles.findIndex((t) => t.startsWith(FIX_TITLE));
    check(fix >= 0, `no action titled “${FIX_TITLE}…” in the menu: ${titles.map((t) => `“${t}”`).join(", ")}`);
    // choose it with the keyboard, as a user does: down to it, then Enter
    const focused = page.locator(".action-widget .monaco-list-row.action.focused");
    for (let i = 0; i <= titles.length; i++) {
      if (((await focused.getAttribute("aria-label")) ?? "").startsWith(FIX_TITLE)) break;
      await page.keyboard.press("ArrowDown");
    }
    check(((await focused.getAttribute("aria-label")) ?? "").startsWith(FIX_TITLE), "could not move to the fix in the menu");
    // the README's picture: the editor and the menu, the fix chosen
    const widget = await page.locator(".action-widget").boundingBox();
    const part = await page.locator(".part.editor").boundingBox();
    const top = part.y;
    const bottom = Math.min(800, Math.max(widget.y + widget.height, part.y + 35 + 22 + 9 * 19) + 12);
    const clip = { x: part.x, y: top, width: Math.min(1280 - part.x, Math.max(640, widget.x + widget.width + 24 - part.x)), height: bottom - top };
    const shot = await screenshot("quick-fix", { clip });
    if (process.env.LAYERWISE_UPDATE_SCREENSHOT === "1") {
      fs.copyFileSync(shot, path.join(repo, "editors/vscode/images/quick-fix.png"));
    }
    await page.keyboard.press("Enter");
    await until("the editor to show the reordered file", async () => !(await editorLines())[1]?.startsWith("COPY . /app"));
    await page.keyboard.press("Control+s");
    const text = await until("the fixed file on disk", () => {
      const now = fs.readFileSync(dockerfile, "utf8");
      return now !== original && now;
    });
    const lines = text.split(/\r?\n/);
    const manifest = lines.findIndex((l) => /^COPY\s/.test(l) && l.includes("requirements.txt") && !/^COPY\s+\.\s/.test(l));
    const install = lines.findIndex((l) => /^RUN\s+pip install/.test(l));
    const rest = lines.findIndex((l) => /^COPY\s+\.\s+\/?app/.test(l));
    check(
      manifest >= 0 && install > manifest && rest > install,
      `expected COPY requirements.txt < RUN pip install < COPY . /app, got lines ${manifest + 1}, ${install + 1}, ${rest + 1}:\n${text}`,
    );
    check(text.startsWith("FROM python:3.8.0-slim") && text.includes("ENTRYPOINT uvicorn"), `the rest was lost:\n${text}`);
    // the server saw the edit: what VS Code shows matches what the CLI finds in the saved file
    await waitForCounts(expectedCounts());
    await page.waitForTimeout(300);
    await screenshot("fixed");
  });

  // --- editing requests on tests/fixtures/editing, copied into the workspace now (the steps
  // above compare the whole workspace with `layerwise check`) --------------------------------
  const editingDir = path.join(dirs.workspace, "editing");
  fs.cpSync(path.join(repo, "tests/fixtures/editing"), editingDir, { recursive: true });
  const stagesFile = path.join(editingDir, "Dockerfile");
  const stagesText = fs.readFileSync(stagesFile, "utf8");
  const stagesLines = stagesText.split("\n");
  /** 1-based line and column of `needle` on the first line that starts with `prefix`. */
  const where = (prefix, needle) => {
    const i = stagesLines.findIndex((l) => l.startsWith(prefix) && l.includes(needle));
    check(i >= 0, `the fixture has no line ${prefix}...${needle}`);
    return { line: i + 1, column: stagesLines[i].indexOf(needle) + 1 };
  };
  const builderUse = where("COPY --chown=app --from=", "builder");
  const builderDecl = where("FROM golang", "builder");

  await step("editing/Dockerfile opens and layerwise checks it (an info squiggle on `RUN go build`)", async () => {
    await page.keyboard.press("Escape");
    // the whole editor for the pictures: hide the Problems panel (Ctrl+J toggles it)
    const panel = page.locator(".part.panel");
    if (await panel.isVisible()) {
      await page.keyboard.press("Control+j");
      await panel.waitFor({ state: "hidden" });
    }
    await openFile("editing/Dockerfile", stagesLines[0]);
    const line = where("RUN go build", "go build").line;
    await until(`a squiggle on line ${line}`, async () => (await squigglesOnLine(line)).some((s) => s.cls === "squiggly-info"));
  });

  await step("completion after `--from=` offers only `builder` (not the stage the COPY is in, nor a later one)", async () => {
    const { line } = where("RUN apt-get", "apt-get");
    await goTo(line, 1);
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("COPY --from=");
    const rows = page.locator(".editor-widget.suggest-widget.visible .monaco-list-row");
    const labels = await until("the suggestions after `--from=`", async () => {
      const found = await rows.locator(".label-name").allInnerTexts();
      return found.length > 0 && found;
    });
    check(JSON.stringify(labels) === '["builder"]', `the suggestions are ${JSON.stringify(labels)}`);
    await page.waitForTimeout(300); // the details pane settles
    const shot = await screenshot("completion", { clip: await editorClip(page.locator(".editor-widget.suggest-widget.visible")) });
    if (process.env.LAYERWISE_UPDATE_SCREENSHOT === "1") fs.copyFileSync(shot, path.join(repo, "docs/completion.png"));
    await page.keyboard.press("Enter");
    await until("the accepted stage name in the line", async () => (await editorText()).includes("COPY --from=builder"));
    await runCommand("File: Revert File");
    await until("the file as on disk again", async () => !(await editorText()).includes("COPY --from=builder"));
  });

  await step("hover on `--chown` shows the flag's documentation", async () => {
    const at = where("COPY --chown=app", "--chown");
    await goTo(at.line, at.column + 3);
    await runCommand("Show or Focus Hover");
    const hover = page.locator(".monaco-editor .monaco-hover:not(.hidden)", { hasText: "--chown" }).first();
    const text = await until("the hover", async () => (await hover.isVisible()) && (await hover.innerText()));
    check(text.includes("Owner") && text.includes("COPY --chown="), `the hover says: ${text}`);
    const shot = await screenshot("hover", { clip: await editorClip(hover) });
    if (process.env.LAYERWISE_UPDATE_SCREENSHOT === "1") fs.copyFileSync(shot, path.join(repo, "docs/hover.png"));
    await page.keyboard.press("Escape");
  });

  await step("Go to Definition (F12) on `builder` in `COPY --chown=app --from=builder` goes to its FROM", async () => {
    await goTo(builderUse.line, builderUse.column + 2);
    await page.keyboard.press("F12");
    await until(`the cursor on line ${builderDecl.line}`, async () => {
      const status = (await page.locator('[id="status.editor.selection"]').innerText()).trim();
      return new RegExp(`^Ln ${builderDecl.line}, Col ${builderDecl.column}\\b`).test(status) || (() => { throw status; })();
    });
  });

  await step("Rename Symbol (F2) of `builder` to `compile`: every use, flags in any order, saved to disk", async () => {
    await goTo(builderUse.line, builderUse.column);
    await page.keyboard.press("F2");
    const input = page.locator(".rename-box input");
    await input.waitFor({ state: "visible" });
    await input.fill("compile");
    await page.keyboard.press("Enter");
    await until("the FROM line to name `compile`", async () => (await editorText()).includes("FROM golang:1.22 AS compile"));
    await page.keyboard.press("Control+s");
    const expected = stagesText.replaceAll("builder", "compile");
    check(stagesText.split("builder").length - 1 === 3, "the fixture names `builder` 3 times");
    const text = await until("the renamed file on disk", () => {
      const now = fs.readFileSync(stagesFile, "utf8");
      return now !== stagesText && now;
    });
    check(text === expected, `on disk after the rename:\n${text}\nexpected:\n${expected}`);
  });

  await step("Format Document formats editing/unformatted.dockerfile, saved to disk", async () => {
    const file = path.join(editingDir, "unformatted.dockerfile");
    const before = fs.readFileSync(file, "utf8");
    await openFile("editing/unformatted.dockerfile", before.split("\n")[0]);
    await until("a squiggle on `add a.txt /app/` (line 5)", async () => (await squigglesOnLine(5)).length > 0);
    await runCommand("Format Document");
    await until("the formatted text in the editor", async () => (await editorText())[0] === "FROM alpine:3.20 AS base");
    await page.keyboard.press("Control+s");
    const expected = fs.readFileSync(path.join(repo, "tests/fixtures/editing/formatted.expected"), "utf8");
    const text = await until("the formatted file on disk", () => {
      const now = fs.readFileSync(file, "utf8");
      return now !== before && now;
    });
    check(text === expected, `on disk after formatting:\n${text}\nexpected:\n${expected}`);
  });
} catch (error) {
  failed += 1;
  console.log(`FAILED  vscode: ${String(error?.stack ?? error).split("\n").slice(0, 6).join("\n    ")}`);
  await screenshot("failed");
} finally {
  await cleanup();
  fs.cpSync(dirs.workspace, path.join(out, "workspace"), { recursive: true });
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`    screenshots: ${path.relative(repo, out)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
