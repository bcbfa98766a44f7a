#!/usr/bin/env node
// Keeps `layerwise.rules` in package.json (the settings UI's list of rules, with completion and
// descriptions) in step with the server's rules, read from `layerwise rules`.
//
//   node scripts/sync-rules.mjs [--check] [LAYERWISE]
//
// --check: change nothing, exit 1 when package.json is stale. LAYERWISE defaults to
// ../../target/release/layerwise.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const check = args.includes("--check");
const binary = args.find((a) => a !== "--check") ?? join(here, "../../../target/release/layerwise");
const manifestPath = join(here, "../package.json");

const listing = execFileSync(binary, ["rules"], { encoding: "utf8" });
const properties = {};
for (const line of listing.split("\n")) {
  const m = /^(\S+)\s+(error|warning|info|hint)\s+(.+)$/.exec(line.trim());
  if (!m) continue;
  const [, id, severity, summary] = m;
  properties[id] = {
    type: "string",
    enum: ["error", "warning", "info", "hint", "off"],
    markdownDescription: `${summary.trim()}. Default: \`${severity}\`.`,
  };
}
if (Object.keys(properties).length === 0) {
  console.error(`no rules in the output of \`${binary} rules\`:\n${listing}`);
  process.exit(2);
}

const text = readFileSync(manifestPath, "utf8");
const manifest = JSON.parse(text);
manifest.contributes.configuration.properties["layerwise.rules"].properties = properties;
const fresh = JSON.stringify(manifest, null, 2) + "\n";
if (fresh === text) {
  console.log(`package.json lists the ${Object.keys(properties).length} rules of the server`);
} else if (check) {
  console.error("editors/vscode/package.json's `layerwise.rules` is stale: run `node editors/vscode/scripts/sync-rules.mjs`");
  process.exit(1);
} else {
  writeFileSync(manifestPath, fresh);
  console.log(`package.json: wrote the ${Object.keys(properties).length} rules of the server`);
}
