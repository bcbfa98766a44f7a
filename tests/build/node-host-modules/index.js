// The host node_modules fixture: the build context holds the developer's node_modules (made by
// the harness in its copy of the context, see app.conf), which the .dockerignore does not exclude.
const ms = require("ms");
const version = require("ms/package.json").version;

console.log(`hello from the host node_modules fixture: ms ${version} says ${ms(90000)} and ${ms("2 days")}`);
