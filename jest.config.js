/**
 * Tests are transpiled by ts-jest in isolated-modules mode (no type-check per file: `npm run
 * typecheck` type-checks everything once, which is much faster). ts-jest needs TypeScript < 7,
 * which is why TypeScript is pinned to 5.9. swc would be faster still, but its platform
 * packages are not all on this workplace's registry, which breaks `npm ci`.
 *
 * `npm test` runs every suite except the container-engine suites (`*-engine.test.ts`), on two
 * workers at least: most suites are CPU-bound (on 2 cores the run took 235 s on two workers
 * against ~320 s on one). The engine suites share one Docker engine and swarm and use fixed
 * names, so `npm run test:engine` (jest.engine.config.js) runs them one at a time.
 */
const os = require("node:os");

const ENGINE_SUITES = "/__tests__/integration/[^/]*-engine\\.test\\.ts$";

module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", ENGINE_SUITES],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json", diagnostics: false }] },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  // One temporary folder per run, removed at its end (see __tests__/global-tmp.js).
  globalSetup: "<rootDir>/__tests__/global-setup.js",
  globalTeardown: "<rootDir>/__tests__/global-teardown.js",
  testTimeout: 120000,
  maxWorkers: Math.max(2, (os.availableParallelism?.() ?? os.cpus().length) - 1),
};
