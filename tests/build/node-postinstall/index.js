// The postinstall fixture: routes.json is generated at install time by scripts/build-routes.js.
const ms = require("ms");
const routes = require("./routes.json");

console.log(`hello from the postinstall fixture: ${routes.map((r) => `${r.path}=${r.body}`).join(", ")}; cache ${ms(3600000)}`);
