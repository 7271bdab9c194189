/*
 * synthApp: a consumer's own program (an Environment in the team's stack) gets envkit's clean
 * failure — one line per problem, exit 1, no stack trace and no advice to turn validation off —
 * instead of cdktf's raw "Validation failed…" exception (found from outside, 2026-12-03).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Construct } from "constructs";
import { App, TerraformStack } from "../../lib/facade/cdktf";
import { Environment } from "../../lib/constructs/environment";
import { Service } from "../../lib/constructs/service";
import { synthApp, validationProblems } from "../../lib/synth-app";

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

/** The team's stack with a Docker provider and an envkit environment holding one api service. */
function program(outdir: string, api: { release: string; privileged?: boolean }): App {
  // Mandatory only where a finding is wanted: a local-state dev stack fails ENVK-STA-001 then too.
  const enforcement = api.privileged ? "mandatory" : "advisory";
  const app = new App({ outdir, stackTraces: false });
  const stack = new TerraformStack(app, "billing");
  new DockerProvider(stack, "docker", { host: "unix:///var/run/docker.sock" });
  const env = new Environment(stack, "dev", { app: "billing", target: "docker", settings: { network: { subnet: "10.230.0.0/16" }, policy: { enforcement } } });
  new Service(env, "api", {
    image: "ghcr.io/acme/billing-api",
    release: api.release,
    ports: [{ name: "http", port: 8080 }],
    health: { http: { path: "/health", port: "http" } },
    ...(api.privileged && { security: { privileged: true } }),
  });
  return app;
}

const DIGEST = `3.1.0@sha256:${"2".repeat(64)}`;

/** The lines synthApp prints for a team stack `stackId` holding one construct with `problems`; process.exitCode restored. */
function linesOfFailing(stackId: string, construct: string, problems: string[]): string[] {
  const app = new App({ outdir: tmp("envkit-synthapp-own-"), stackTraces: false });
  new Construct(new TerraformStack(app, stackId), construct).node.addValidation({ validate: () => problems });
  const lines: string[] = [];
  const before = process.exitCode;
  try {
    expect(synthApp(app, { err: (l) => lines.push(l) })).toBe(1);
  } finally {
    process.exitCode = before;
  }
  return lines;
}

describe("synthApp", () => {
  it("synthesizes a program that passes and returns 0", () => {
    const out = tmp("envkit-synthapp-ok-");
    const lines: string[] = [];
    const app = program(out, { release: DIGEST });
    expect(synthApp(app, { err: (l) => lines.push(l) })).toBe(0);
    expect(lines).toEqual([]);
    expect(fs.existsSync(path.join(out, "stacks", "billing", "cdk.tf.json"))).toBe(true);
  });

  it("on a mandatory guardrail finding prints one line per problem and a closing line, returns 1, and writes no stack", () => {
    const out = tmp("envkit-synthapp-bad-");
    const lines: string[] = [];
    const before = process.exitCode;
    try {
      expect(synthApp(program(out, { release: DIGEST, privileged: true }), { err: (l) => lines.push(l) })).toBe(1);
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = before;
    }
    expect(lines[0]).toMatch(/^billing\/dev\/api: services\.api\.security\.privileged: \[ENVK-SEC-004\] runs privileged/);
    expect(lines.at(-1)).toBe(`synth failed: ${lines.length - 1} problem(s) above; fix them and synthesize again`);
    const all = lines.join("\n");
    expect(all).not.toMatch(/\n\s+at |skipValidation|Validation failed/);
    expect(fs.existsSync(path.join(out, "stacks", "billing"))).toBe(false);
  });

  it("names a construct's own validation error by its path", () => {
    expect(linesOfFailing("team", "thing", ["the thing is wrong"])).toEqual(["team/thing: the thing is wrong", "synth failed: 1 problem(s) above; fix them and synthesize again"]);
  });

  it("throws any other error as it was", () => {
    const app = new App({ outdir: tmp("envkit-synthapp-throw-"), stackTraces: false });
    new TerraformStack(app, "team");
    const boom = new Error("disk on fire");
    jest.spyOn(app, "synth").mockImplementationOnce(() => {
      throw boom;
    });
    expect(() => synthApp(app, { err: () => undefined })).toThrow(boom);
  });
});

describe("validationProblems", () => {
  it("is undefined for an error that is not cdktf's validation failure", () => {
    expect(validationProblems(new Error("Validation failed"))).toBeUndefined();
    expect(validationProblems("Validation failed with the following errors:")).toBeUndefined();
  });

  it("property: reads back every problem of cdktf's stack and app error texts, in order, a message of several lines as one", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
    const line = fc.stringMatching(/^[^\n[\]]{1,30}$/);
    const message = fc.array(line, { minLength: 1, maxLength: 3 }).map((l) => l.join("\n"));
    const problem = fc.record({ path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join("/")), message });
    fc.assert(
      fc.property(fc.array(problem, { minLength: 1, maxLength: 6 }), (problems) => {
        // Built as cdktf 0.21 builds them (lib/errors.js, terraform-stack.js runAllValidations, app.js synth).
        const stack = new Error(`Validation failed with the following errors:\n  ${problems.map((p) => `[${p.path}] ${p.message}`).join("\n  ")}\n\nIf you wish to ignore these validations, pass 'skipValidation: true' to your App configuration.\n`);
        expect(validationProblems(stack)).toEqual(problems.map((p) => (p.message.startsWith(`${p.path}: `) || p.message.startsWith(`${p.path}/`) ? p.message : `${p.path}: ${p.message}`)));
        const single = problems.map((p) => p.message.split("\n").join(" "));
        const app = new Error(`App-level validation failed with the following errors:\n  ${single.join("\n  ")}\nValidations allow for dynamic verification of your project.\nTo skip validations, add 'skipValidation: true' to your App config.\n    `);
        expect(validationProblems(app)).toEqual(single);
      }),
    );
  });

  it("prints a construct's message of several lines whole, on one line, and counts every problem", () => {
    expect(linesOfFailing("own", "checked", ["first line\nsecond line", "problem two"])).toEqual(["own/checked: first line\\u000asecond line", "own/checked: problem two", "synth failed: 2 problem(s) above; fix them and synthesize again"]);
  });
});
