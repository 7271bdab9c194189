import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { editYaml, setReleases } from "../../lib/cli/commands/promote";
import { parseSteps } from "../../lib/cli/commands/rollout";
import { EnvkitError } from "../../lib/errors";
import { cli, copyReferenceApp } from "../helpers";

/*
 * envkit rollout (a canary step, a blue-green switch) and envkit promote into a blue-green
 * service: one edit of the environment file, comments and layout kept, refusals, atomic writes.
 */

const D = (c: string) => `sha256:${c.repeat(64)}`;
const API_OLD = `1.4.0@${D("a")}`;
const API_NEW = `1.5.0@${D("b")}`;
const WEB_OLD = `2.0.0@${D("c")}`;
const WEB_NEW = `2.1.0@${D("d")}`;

const APP = `name: shop
services:
  api:
    image: ghcr.io/acme/api
    ports:
      - name: http
        port: 3000
    health:
      http: { path: /health, port: http }
  web:
    image: ghcr.io/acme/web
    ports:
      - name: http
        port: 8080
    health:
      http: { path: /, port: http }
`;

const STAGING = `target: kubernetes
release:
  api: "${API_NEW}"
  web: "${WEB_NEW}"
policy:
  enforcement: advisory
`;

/** prod: api blue-green (block layout), web canary (flow layout), comments everywhere. */
const PROD = `# prod
target: kubernetes
release:
  web: "${WEB_OLD}"   # the stable
promotion:
  from: staging
policy: { enforcement: advisory }
services:
  api:
    replicas: 2
    rollout:
      strategy: blue-green
      live: blue          # flip with envkit rollout --switch
      slots:
        blue: "${API_OLD}"
        green: "${API_OLD}"   # the idle slot
  web:
    replicas: 10
    # the canary, 10 → 50 → 100
    rollout: { strategy: canary, canary: { release: "${WEB_NEW}", weight: 10 } }
`;

const RECORD = `environments:
  staging:
    api:
      - release: "${API_NEW}"
        recorded: 2026-11-20
    web:
      - release: "${WEB_NEW}"
        recorded: 2026-11-20
`;

function app(prod = PROD): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-rollout-"));
  fs.mkdirSync(path.join(dir, "environments"));
  const files: Record<string, string> = { "app.yaml": APP, "environments/staging.yaml": STAGING, "environments/prod.yaml": prod, "releases.yaml": RECORD };
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}
const prodOf = (dir: string) => fs.readFileSync(path.join(dir, "environments", "prod.yaml"), "utf8");
const rollout = (dir: string, ...args: string[]) => cli("rollout", "--config", dir, "--env", "prod", ...args);

describe("envkit rollout --step (canary)", () => {
  it("moves the weight to the next step, changing only that number (comments and flow layout kept)", () => {
    const dir = app();
    const r = rollout(dir, "--service", "web", "--step");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`web: canary ${WEB_NEW} 10% → 50%`);
    expect(prodOf(dir)).toBe(PROD.replace("weight: 10 }", "weight: 50 }"));
  });

  it("follows configured steps", () => {
    const dir = app();
    expect(rollout(dir, "--service", "web", "--step", "--steps", "10,30,60,100").code).toBe(0);
    expect(prodOf(dir)).toContain("weight: 30 }");
  });

  it("at the last step promotes the canary to release.<svc> and removes the canary block", () => {
    const dir = app(PROD.replace("weight: 10 }", "weight: 50 }"));
    const r = rollout(dir, "--service", "web", "--step");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`release.web ${WEB_OLD} → ${WEB_NEW}, canary block removed`);
    expect(prodOf(dir)).toBe(PROD.replace(`web: "${WEB_OLD}"`, `web: "${WEB_NEW}"`).replace(`, canary: { release: "${WEB_NEW}", weight: 10 }`, ""));
    // The result is valid: a canary service at rest.
    expect(cli("validate", "--config", dir, "--env", "prod").code).toBe(0);
  });

  it("removes a block-layout canary with its lines only", () => {
    const block = PROD.replace(
      `    rollout: { strategy: canary, canary: { release: "${WEB_NEW}", weight: 10 } }\n`,
      `    rollout:\n      strategy: canary\n      canary:        # in trial\n        release: "${WEB_NEW}"\n        weight: 50\n      timeout: 5m\n`,
    );
    const dir = app(block);
    expect(rollout(dir, "--service", "web", "--step").code).toBe(0);
    expect(prodOf(dir)).toBe(block.replace(`web: "${WEB_OLD}"`, `web: "${WEB_NEW}"`).replace(`      canary:        # in trial\n        release: "${WEB_NEW}"\n        weight: 50\n`, ""));
  });

  it("refuses a weight of 100 (the stable has no pods), writing nothing", () => {
    const text = PROD.replace("weight: 10 }", "weight: 100 }");
    const dir = app(text);
    const r = rollout(dir, "--service", "web", "--step");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prod\.yaml:\d+: services\.web\.rollout\.canary\.weight: weight 100 leaves the stable of "web" with no pods.*set weight: 50, apply it, then run --step/);
    expect(r.err).toContain("refused");
    expect(prodOf(dir)).toBe(text);
  });

  it("refuses a service that is not a canary, and one with no canary in flight", () => {
    const dir = app();
    expect(rollout(dir, "--service", "api", "--step").err).toMatch(/services\.api\.rollout\.strategy: "api" uses strategy blue-green; --step advances a canary/);
    const resting = app(PROD.replace(`, canary: { release: "${WEB_NEW}", weight: 10 }`, ""));
    expect(rollout(resting, "--service", "web", "--step").err).toMatch(/services\.web\.rollout: "web" runs no canary; start one by adding services\.web\.rollout\.canary: \{ release: "<the new release>", weight: 10 \}/);
  });

  it("refuses bad --steps as usage errors", () => {
    const dir = app();
    expect(rollout(dir, "--service", "web", "--step", "--steps", "10,5,100").code).toBe(2);
    expect(() => parseSteps("10,50")).toThrow(/must end at 100/);
    expect(() => parseSteps("ten")).toThrow(/whole percentages/);
    expect(parseSteps(undefined)).toEqual([10, 50, 100]);
  });
});

describe("envkit rollout and a canary block shared through a YAML anchor", () => {
  // api's canary is anchored and web's repeats it: a step of one would move both.
  const shared = (weight: number) => `# prod
target: kubernetes
release:
  api: "${API_OLD}"
  web: "${WEB_OLD}"
promotion:
  from: staging
policy: { enforcement: advisory }
services:
  api:
    rollout: { strategy: canary, canary: &c { release: "${WEB_NEW}", weight: ${weight} } }
  web:
    rollout: { strategy: canary, canary: *c }
`;

  it("refuses a step inside the anchored block (exit 1, file:line), where it moved the other service's canary too", () => {
    const dir = app(shared(10));
    const r = rollout(dir, "--service", "api", "--step");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prod\.yaml:11: services\.api\.rollout\.canary: carries the anchor &c, which other values may repeat \(\*c\): an edit here would change them too; write this block out in full without the anchor/);
    expect(prodOf(dir)).toBe(shared(10));
  });

  it("refuses the promoting step when an anchor sits deeper inside the block it removes (exit 1, not an internal error)", () => {
    const deep = shared(50).replace("canary: &c { release: ", "canary: { release: &r ").replace("canary: *c }", `canary: { release: *r, weight: 10 } }`);
    const dir = app(deep);
    const r = rollout(dir, "--service", "api", "--step");
    expect(r.code).toBe(1);
    expect(r.err).toContain("carries the anchor &r");
    expect(r.err).not.toContain("internal error");
    expect(prodOf(dir)).toBe(deep);
  });

  it("refuses the promoting step that would remove the anchored block (exit 1, not an internal error)", () => {
    const dir = app(shared(50));
    const r = rollout(dir, "--service", "api", "--step");
    expect(r.code).toBe(1);
    expect(r.err).toContain("carries the anchor &c");
    expect(r.err).not.toContain("internal error");
    expect(prodOf(dir)).toBe(shared(50));
  });
});

describe("envkit rollout and the monitoring set", () => {
  it("refuses a monitoring service at its monitoring.images line, without advice the user cannot follow", () => {
    const dir = copyReferenceApp();
    const before = fs.readFileSync(path.join(dir, "environments", "dev.yaml"), "utf8");
    for (const args of [["--service", "prometheus", "--step"], ["--service", "cadvisor", "--switch"]]) {
      const r = cli("rollout", "--config", dir, "--env", "dev", ...args);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`dev\\.yaml:\\d+: monitoring\\.images\\.${args[1]}: "${args[1]}" is part of the monitoring set, which envkit rolls itself`));
      expect(r.err).not.toContain("set strategy: canary");
    }
    expect(fs.readFileSync(path.join(dir, "environments", "dev.yaml"), "utf8")).toBe(before);
  });
});

describe("envkit rollout --switch (blue-green)", () => {
  it("flips live, changing only that word (its comment kept)", () => {
    const dir = app();
    const r = rollout(dir, "--service", "api", "--switch");
    expect(r.code).toBe(0);
    expect(r.out).toContain("api: live blue → green");
    expect(prodOf(dir)).toBe(PROD.replace("live: blue          #", "live: green          #"));
  });

  it("a second switch is the revert", () => {
    const dir = app();
    rollout(dir, "--service", "api", "--switch");
    rollout(dir, "--service", "api", "--switch");
    expect(prodOf(dir)).toBe(PROD);
  });

  it("refuses while the idle slot is scaled down", () => {
    const text = PROD.replace("      live: blue", "      idleReplicas: 0\n      live: blue");
    const dir = app(text);
    const r = rollout(dir, "--service", "api", "--switch");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/services\.api\.rollout\.idleReplicas: the idle slot green runs 0 of 2 replicas.*set idleReplicas: 2 \(or remove it\), apply, check api-preview, then switch/);
    expect(prodOf(dir)).toBe(text);
  });

  it("--dry-run prints the switch and writes nothing", () => {
    const dir = app();
    const r = rollout(dir, "--service", "api", "--switch", "--dry-run");
    expect(r.code).toBe(0);
    expect(r.out).toContain("dry run");
    expect(prodOf(dir)).toBe(PROD);
  });

  it("needs exactly one of --step and --switch", () => {
    expect(rollout(app(), "--service", "api").code).toBe(2);
    expect(rollout(app(), "--service", "api", "--step", "--switch").code).toBe(2);
  });
});

describe("envkit rollout: atomic write", () => {
  it("leaves the old bytes and no temporary file when the rename fails", () => {
    const dir = app();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeFs = require("node:fs") as typeof fs;
    const spy = jest.spyOn(nodeFs, "renameSync").mockImplementation(() => {
      throw Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO", syscall: "rename", path: path.join(dir, "environments", "prod.yaml") });
    });
    try {
      const r = rollout(dir, "--service", "api", "--switch");
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/environments\/prod\.yaml: an input\/output error occurred; it still holds its old content \(the rollout did not advance\)/);
    } finally {
      spy.mockRestore();
    }
    expect(prodOf(dir)).toBe(PROD);
    expect(fs.readdirSync(path.join(dir, "environments")).sort()).toEqual(["prod.yaml", "staging.yaml"]);
  });
});

describe("envkit promote into a blue-green service", () => {
  const promote = (dir: string, ...args: string[]) => cli("promote", "--config", dir, "--from", "staging", "--to", "prod", ...args);

  it("writes the idle slot, not the live one, and says how to switch", () => {
    const dir = app(PROD.replace(`, canary: { release: "${WEB_NEW}", weight: 10 }`, ""));
    const before = prodOf(dir);
    const r = promote(dir, "api");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`api  ${API_OLD} → ${API_NEW}  (idle slot green; envkit rollout --env prod --service api --switch makes it live)`);
    expect(prodOf(dir)).toBe(before.replace(`green: "${API_OLD}"`, `green: "${API_NEW}"`));
  });

  it("lists a release the live slot already runs as unchanged", () => {
    const dir = app(PROD.replace(`blue: "${API_OLD}"`, `blue: "${API_NEW}"`));
    const r = promote(dir, "api");
    expect(r.code).toBe(0);
    expect(r.out).toContain("nothing to promote");
  });

  it("refuses to change the stable under a running canary", () => {
    const dir = app();
    const r = promote(dir, "web");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prod\.yaml:\d+: services\.web\.rollout\.canary: "web" runs a canary .* in "prod", and promoting would change its stable under it; finish it first/);
    expect(prodOf(dir)).toBe(PROD);
  });
});

describe("editYaml", () => {
  const text = `a:\n  b: "x"   # keep\n  c: { d: 1, e: 2 }\n  f:\n    g: 1\n  h: 3\n`;

  it("sets a scalar keeping its quoting and comment", () => {
    expect(editYaml(text, [{ set: ["a", "b"], value: "y" }])).toBe(text.replace('"x"', '"y"'));
  });

  it("removes a flow item with one comma, and a block key with its lines", () => {
    expect(editYaml(text, [{ remove: ["a", "c", "d"] }])).toBe(text.replace("d: 1, ", ""));
    expect(editYaml(text, [{ remove: ["a", "c", "e"] }])).toBe(text.replace(", e: 2", ""));
    expect(editYaml(text, [{ remove: ["a", "f"] }])).toBe(text.replace("  f:\n    g: 1\n", ""));
  });

  it("refuses a path the file does not hold, naming it", () => {
    expect(() => editYaml(text, [{ set: ["a", "z"], value: 1 }], "prod.yaml")).toThrow(EnvkitError);
    expect(() => editYaml(text, [{ set: ["a", "z"], value: 1 }], "prod.yaml")).toThrow(/a\.z: is not set in this file/);
  });

  it("refuses to set a map", () => {
    expect(() => editYaml(text, [{ set: ["a", "f"], value: 1 }], "prod.yaml")).toThrow(/a\.f: is not a single value/);
  });

  it("leaves setReleases' behaviour alone (the two compose)", () => {
    const env = `target: kubernetes\nrelease:\n  api: "1"\n`;
    expect(editYaml(setReleases(env, [{ service: "api", release: "2" }]), [{ set: ["target"], value: "docker" }])).toBe(`target: docker\nrelease:\n  api: "2"\n`);
  });
});
