/*
 * synthesizeProject writes each environment with its own cdktf App as soon as it is judged, and
 * lets its constructs go before the next one is built; the output must be exactly what one App
 * holding every stack writes (synthesizeInto), manifest.json included.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { synthesizeInto, synthesizeProject, validateDir } from "../../lib/pipeline";
import { REFERENCE_APP, filesOf } from "../helpers";

const tmp = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
// The module object itself (a namespace import is read-only): a spy on it reaches cdktf's writes too.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs = require("node:fs") as typeof fs;
const realWrite = realFs.writeFileSync.bind(realFs);

describe("one App per environment", () => {
  const project = validateDir(REFERENCE_APP);

  it("writes the same bytes as one App with every stack: the five reference environments and the manifest", () => {
    expect(project.environments.map((e) => e.model.name)).toEqual(["dev", "prod", "staging", "swarm", "test"]);
    const each = path.join(tmp("envkit-per-env-"), "out");
    const result = synthesizeProject(project, each);
    expect(result.stacks).toEqual(["dev", "prod", "staging", "swarm", "test"]);
    const one = path.join(tmp("envkit-one-app-"), "out");
    synthesizeInto(one, project.environments);
    const a = filesOf(each);
    const b = filesOf(one);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [f, bytes] of b) expect({ f, same: a.get(f)!.equals(bytes) }).toEqual({ f, same: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(each, "manifest.json"), "utf8")) as { stacks: Record<string, unknown> };
    expect(Object.keys(manifest.stacks).sort()).toEqual(["dev", "prod", "staging", "swarm", "test"]);
  });

  it("writes nothing when a later environment fails, though earlier ones were already written", () => {
    const out = path.join(tmp("envkit-per-env-fail-"), "out");
    // The last environment's stack is refused by lowering (a backend value no validation sees).
    const envs = project.environments;
    const last = envs[envs.length - 1];
    // (Outside the output folder, so it passes the checks made before anything is written.)
    const broken = { ...last, model: { ...last.model, backend: { type: "local", path: '../../../state-${file("/etc/passwd")}.tfstate' } } } as typeof last;
    const written: string[] = [];
    const write = jest.spyOn(realFs, "writeFileSync").mockImplementation((file, data, options) => {
      if (String(file).endsWith("cdk.tf.json")) written.push(path.basename(path.dirname(String(file))));
      return realWrite(file, data, options);
    });
    let result: ReturnType<typeof synthesizeProject>;
    try {
      result = synthesizeProject({ ...project, environments: [...envs.slice(0, -1), broken] }, out);
    } finally {
      write.mockRestore();
    }
    // The first four were written (and their constructs let go) before the fifth was judged
    // (each stack file is written twice: cdktf's synthesizer writes a placeholder, envkit the document).
    expect([...new Set(written)]).toEqual(["dev", "prod", "staging", "swarm"]);
    expect(result.stacks).toEqual([]);
    expect(result.issues.filter((i) => i.severity !== "warning").map((i) => [i.path, i.message.slice(0, 40)])).toEqual([["backend.path", 'environment "test": "../../../state-${fi']]);
    expect(fs.existsSync(out)).toBe(false);
    // No temporary folder is left next to the output either.
    expect(fs.readdirSync(path.dirname(out))).toEqual([]);
  });
});
