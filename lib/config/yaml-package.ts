/**
 * The yaml package, loaded on first use: plain configs are read by the fast path (yaml-fast.ts),
 * so a synth that edits no file and meets no unusual YAML never loads it (~40 ms of start-up).
 */
export function yamlPackage(): typeof import("yaml") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("yaml") as typeof import("yaml");
}
