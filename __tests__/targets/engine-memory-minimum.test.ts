/*
 * Docker Engine refuses a container whose memory limit is below 6 MiB ("Minimum memory limit
 * allowed is 6MB", moby daemon/daemon_unix.go linuxMinMemory): such a limit passed validation and
 * failed at apply (found from outside, 2026-12-03). Kubernetes has no such floor.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli } from "../helpers";

const MINIMAL = path.join(__dirname, "..", "..", "examples", "minimal");

function validateWith(resources: string): { code: number; err: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-memmin-"));
  fs.cpSync(MINIMAL, dir, { recursive: true });
  fs.appendFileSync(path.join(dir, "app.yaml"), `    resources: ${resources}\n`);
  const r = cli("validate", "--config", dir);
  return { code: r.code, err: r.err.split(`${dir}${path.sep}`).join("") };
}

describe("a memory limit below what Docker Engine accepts", () => {
  it("is an error at resources.memory when the limit follows it", () => {
    expect(validateWith("{ memory: 1 }")).toEqual({
      code: 1,
      err: 'app.yaml:13: services.web.resources.memory: a memory limit of 1 bytes is below the 6Mi the Docker engine accepts (it refuses the container at apply); give "web" at least 6Mi (the limit follows resources.memory unless resources.memoryLimit is set)\n1 error(s), 0 warning(s)',
    });
  });

  it("is an error at resources.memoryLimit when that is set", () => {
    expect(validateWith("{ memory: 1Mi, memoryLimit: 5Mi }").err).toMatch(/^app\.yaml:13: services\.web\.resources\.memoryLimit: a memory limit of 5242880 bytes is below the 6Mi the Docker engine accepts/);
  });

  it("accepts 6Mi", () => {
    expect(validateWith("{ memory: 6Mi }").code).toBe(0);
  });
});
