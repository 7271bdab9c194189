import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing } from "../lib/facade/cdktf";

Testing.setupJest();

// Every test file gets its own temporary folder, removed after its last test, inside the run's
// folder (__tests__/global-tmp.js, removed when the run ends, skipped suites too): tests (and the
// library code they run in-process) create their folders with mkdtemp under os.tmpdir(), and
// before this a run left some 3,000 folders in /tmp. The real module is patched (not a namespace
// copy) so every importer sees it. Child processes keep the real TMPDIR: their per-user compile
// cache stays warm across files.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeOs = require("node:os") as typeof os;
const realTmpdir = nodeOs.tmpdir;
const runTmp = process.env.ENVKIT_JEST_TMP;
const fileTmp = fs.mkdtempSync(path.join(runTmp && fs.existsSync(runTmp) ? runTmp : realTmpdir(), "envkit-jest-"));
nodeOs.tmpdir = () => fileTmp;
afterAll(() => {
  nodeOs.tmpdir = realTmpdir;
  fs.rmSync(fileTmp, { recursive: true, force: true });
});

// cdktf's App writes to ./cdktf.out unless told otherwise. Tests that build an App without an
// outdir must not leave a half-made cdktf.out in the repository: the README's `npm run synth`
// after `npm test` would then refuse it as "not a synthesized output".
if (process.env.CDKTF_OUTDIR === undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-jest-cdktf-out-"));
  process.env.CDKTF_OUTDIR = dir;
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (process.env.CDKTF_OUTDIR === dir) delete process.env.CDKTF_OUTDIR;
  });
}

// Jest maps every stack trace through source maps (source-map-support's Error.prepareStackTrace),
// frame by frame. cdktf and constructs capture a full trace into a plain
// `{ stack: "" }` object for every token and every construct's metadata — tens of thousands per
// file — and never an Error: those get V8's own format (unmapped; both sides of any comparison
// run in this same process), real errors keep their mapped traces for readable failures.
// Measured on __tests__/stacks/independent-stack.test.ts: source mapping was ~12 s of its 31 s.
const mappedPrepare = Error.prepareStackTrace;
if (mappedPrepare) {
  const isTraceHolder = (e: unknown): boolean => typeof e === "object" && e !== null && Object.getPrototypeOf(e) === Object.prototype && !("message" in e);
  Error.prepareStackTrace = (error, frames) =>
    isTraceHolder(error) ? `${String(error)}${frames.map((f) => `\n    at ${String(f)}`).join("")}` : mappedPrepare(error, frames);
}

// Buffers compare as bytes (Buffer.equals), not as jest's generic iterables element by element:
// `expect(filesOf(out)).toEqual(before)` on a synthesized output is ~10⁶ elements, and jest's
// per-element equality took 6.4 s of a 7.5 s test (name-clash.test.ts, 2026-12-03 profile). A
// failure still prints both sides.
// (jest 29.7 has it; @types/jest 29.5 does not declare it.)
type Tester = (a: unknown, b: unknown) => boolean | undefined;
(expect as unknown as { addEqualityTesters(testers: Tester[]): void }).addEqualityTesters([(a, b) => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : undefined)]);
