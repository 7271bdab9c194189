import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing } from "../lib/facade/cdktf";

Testing.setupJest();

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
