// Regenerates docs/rules.md from the rule definitions (run after `npm run build`).
const fs = require("node:fs");
const path = require("node:path");
const { ruleCatalogue } = require("../dist/lib/policy/report");

fs.writeFileSync(path.join(__dirname, "..", "docs", "rules.md"), ruleCatalogue());
console.log("wrote docs/rules.md");
