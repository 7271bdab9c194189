/**
 * One temporary folder per jest run (globalSetup), removed when the run ends (globalTeardown):
 * __tests__/setup.ts gives each test file its own folder inside it, so nothing a test makes under
 * os.tmpdir() outlives the run — not even in a skipped suite, whose afterAll never runs.
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const KEY = "ENVKIT_JEST_TMP";

module.exports = {
  setup() {
    // Workers are started after globalSetup and inherit this environment.
    process.env[KEY] = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-jest-run-"));
  },
  teardown() {
    const dir = process.env[KEY];
    if (dir && path.basename(dir).startsWith("envkit-jest-run-")) fs.rmSync(dir, { recursive: true, force: true });
  },
};
