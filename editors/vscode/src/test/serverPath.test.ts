// `npm test`: the server lookup order, with a fake file system.

import * as assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";

import { findServer, Lookup } from "../serverPath";

const ext = "/ext";
const bundled = path.join(ext, "server", "layerwise");

function lookup(files: string[], overrides: Partial<Lookup> = {}): Lookup {
  const set = new Set(files);
  return {
    env: { PATH: "/usr/local/bin:/opt/lw/bin", HOME: "/home/me" },
    extensionPath: ext,
    platform: "linux",
    isExecutable: (file) => set.has(file),
    ...overrides,
  };
}

test("LAYERWISE_PATH comes first", () => {
  const found = findServer(
    lookup(["/env/layerwise", "/set/layerwise", bundled, "/opt/lw/bin/layerwise"], {
      env: { LAYERWISE_PATH: "/env/layerwise", PATH: "/opt/lw/bin" },
      setting: "/set/layerwise",
    }),
  );
  assert.deepEqual(found, { path: "/env/layerwise", source: "LAYERWISE_PATH" });
});

test("then the setting, with ~ and workspace-relative paths", () => {
  const all = ["/home/me/bin/layerwise", "/ws/tools/layerwise", bundled];
  assert.deepEqual(findServer(lookup(all, { setting: "~/bin/layerwise" })), {
    path: "/home/me/bin/layerwise",
    source: "layerwise.path",
  });
  assert.deepEqual(findServer(lookup(all, { setting: "tools/layerwise", workspaceFolder: "/ws" })), {
    path: "/ws/tools/layerwise",
    source: "layerwise.path",
  });
});

test("then the bundled binary, then PATH", () => {
  assert.deepEqual(findServer(lookup([bundled, "/opt/lw/bin/layerwise"], { setting: "" })), {
    path: bundled,
    source: "bundled",
  });
  assert.deepEqual(findServer(lookup(["/opt/lw/bin/layerwise"])), {
    path: "/opt/lw/bin/layerwise",
    source: "PATH",
  });
});

test("an explicit path that does not exist is an error, not a fall-through", () => {
  const found = findServer(lookup([bundled], { setting: "/nope/layerwise" }));
  assert.ok("message" in found);
  assert.match(found.message, /layerwise\.path is \/nope\/layerwise/);
});

test("nothing found says how to fix it and where it looked", () => {
  const found = findServer(lookup([]));
  assert.ok("message" in found);
  assert.match(found.message, /not found/);
  assert.match(found.message, /layerwise\.path/);
  assert.equal(found.tried.length, 4);
  assert.match(found.tried[3], /\/usr\/local\/bin:\/opt\/lw\/bin/);
});
