// The app workspace: depends on the sibling workspace @fixture/greeter, which npm links into
// node_modules; `npm ci` needs every workspace's package.json to do that.
const { greet } = require("@fixture/greeter");

console.log(`hello from the npm workspaces fixture: ${greet("layerwise", 90061000)}`);
