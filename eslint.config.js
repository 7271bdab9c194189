// Lint rules that keep the architecture honest (see ARCHITECTURE.md):
// - provider packages only by deep path (the root index costs ~1.5 s and ~260 MB per process);
// - provider packages only inside lib/targets/ (one adapter per target);
// - `cdktf` only through lib/facade/ (a move to the CDK Terrain fork is a one-folder change).
const tseslint = require("typescript-eslint");

const rootProviderImport = [
  { name: "@cdktf/provider-docker", message: "Deep-import provider classes, e.g. '@cdktf/provider-docker/lib/container'." },
  { name: "@cdktf/provider-kubernetes", message: "Deep-import provider classes, e.g. '@cdktf/provider-kubernetes/lib/deployment-v1'." },
];
const cdktfOnlyInFacade = { name: "cdktf", message: "Import cdktf through lib/facade/cdktf.ts." };
const providersOnlyInTargets = { group: ["@cdktf/provider-*", "@cdktf/provider-*/**"], message: "Only lib/targets/ may use provider packages." };

module.exports = tseslint.config(
  { ignores: ["dist/**", "cdktf.out/**", "node_modules/**", "coverage/**", "**/*.d.ts"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: [...rootProviderImport, cdktfOnlyInFacade], patterns: [providersOnlyInTargets] }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["lib/targets/**/*.ts", "__tests__/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: [...rootProviderImport, cdktfOnlyInFacade] }] },
  },
  {
    // A consumer's own app imports cdktf and providers as any consumer does (deep paths still).
    files: ["examples/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: rootProviderImport }] },
  },
  {
    files: ["lib/facade/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: rootProviderImport, patterns: [providersOnlyInTargets] }] },
  },
  {
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly", console: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
