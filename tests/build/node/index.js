// The Node fixture: uses bufferutil, whose install step compiles a C addon (node-gyp) when
// `npm ci --build-from-source` runs. Prints a result that proves the compiled addon is loaded.
const bufferutil = require("bufferutil");

const data = Buffer.from("layerwise");
const mask = Buffer.from([0x11, 0x22, 0x33, 0x44]);
const out = Buffer.alloc(data.length);
bufferutil.mask(data, mask, out, 0, data.length);

const native = /\[native code\]/.test(bufferutil.mask.toString());
console.log(`hello from the Node fixture: masked=${out.toString("hex")} native-addon=${native}`);
