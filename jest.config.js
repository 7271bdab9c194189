/**
 * Tests are transpiled by ts-jest in isolated-modules mode (no type-check per file: `npm run
 * typecheck` type-checks everything once, which is much faster). ts-jest needs TypeScript < 7,
 * which is why TypeScript is pinned to 5.9. swc would be faster still, but its platform
 * packages are not all on this workplace's registry, which breaks `npm ci`.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json", diagnostics: false }] },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 120000,
};
