// The library workspace: formats a greeting with a registry dependency (ms).
const ms = require("ms");

exports.greet = (name, uptimeMs) => `hello ${name}, up for ${ms(uptimeMs, { long: true })}`;
