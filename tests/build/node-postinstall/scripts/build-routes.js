// Run by npm after `npm ci` (the package's postinstall script): generates routes.json from the
// routes/ folder, so the install needs this script and routes/ in the build context.
const fs = require("fs");
const path = require("path");

const dir = path.join(__dirname, "..", "routes");
const routes = fs.readdirSync(dir).filter((f) => f.endsWith(".txt")).sort()
  .map((f) => ({ path: "/" + f.replace(/\.txt$/, ""), body: fs.readFileSync(path.join(dir, f), "utf8").trim() }));
fs.writeFileSync(path.join(__dirname, "..", "routes.json"), JSON.stringify(routes));
console.log(`postinstall: ${routes.length} routes`);
