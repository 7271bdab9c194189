/*
 * Two objects of one type with one name (in one namespace) cannot both exist: terraform apply
 * fails on the second. envkit derives names from services (`<service>-backup`, `-canary`,
 * `-stable`, …), so a service named like a derived name synthesized such a pair without a word
 * (found from outside, 2026-12-03); now it is an error in every environment, at its services.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatIssue } from "../../lib/errors";
import { checkDir } from "../../lib/pipeline";
import { nameCollisions } from "../../lib/policy/name-collisions";
import { copyReferenceApp } from "../helpers";

describe("nameCollisions", () => {
  it("finds resources of one type named alike in one namespace, and nothing else", () => {
    const json = {
      resource: {
        kubernetes_deployment_v1: { a: { metadata: { name: "api-canary", namespace: "shop" } }, b: { metadata: { name: "api-canary", namespace: "shop" } }, c: { metadata: { name: "api-canary", namespace: "other" } } },
        kubernetes_service_v1: { d: { metadata: { name: "api-canary", namespace: "shop" } } },
        docker_image: { e: { name: "nginx:1" }, f: { name: "nginx:1" } },
        docker_container: { g: { name: "x-1" }, h: { name: "x-1" }, i: { name: "${var.n}" }, j: { name: "${var.n}" } },
      },
    };
    expect(nameCollisions(json)).toEqual([
      { type: "docker_container", name: "x-1", addresses: ["docker_container.g", "docker_container.h"] },
      { type: "kubernetes_deployment_v1", name: "api-canary", namespace: "shop", addresses: ["kubernetes_deployment_v1.a", "kubernetes_deployment_v1.b"] },
    ]);
  });
});

describe("a service named like a name envkit derives from another service", () => {
  it("db-backup next to a db with a backup: an error at the services of each Kubernetes environment (Swarm refuses the id)", () => {
    const dir = copyReferenceApp();
    for (const f of ["app.yaml", "releases.yaml", ...fs.readdirSync(path.join(dir, "environments")).map((e) => path.join("environments", e))]) {
      const file = path.join(dir, f);
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/\bworker\b/g, "db-backup"));
    }
    const errors = checkDir(dir)
      .issues.filter((i) => i.severity !== "warning")
      .map((i) => formatIssue(i).split(`${dir}${path.sep}`).join(""));
    for (const env of ["staging", "prod"]) {
      expect(errors).toContainEqual(
        expect.stringMatching(
          new RegExp(`^environments/${env}\\.yaml:\\d+: services: 2 kubernetes_network_policy_v1 would be named "db-backup-allow-egress" \\(kubernetes_network_policy_v1\\.\\S+, kubernetes_network_policy_v1\\.\\S+\\), and the cluster holds one per name, so terraform apply would fail: .*rename that service$`),
        ),
      );
    }
    expect(errors.filter((e) => e.includes("would be named"))).toHaveLength(2);
  });

  it("finds none in the examples", () => {
    for (const example of ["reference-app", "minimal", "voting-app"]) {
      const issues = checkDir(path.join(__dirname, "..", "..", "examples", example)).issues.map(formatIssue);
      expect({ example, collisions: issues.filter((i) => i.includes("would be named")) }).toEqual({ example, collisions: [] });
    }
  });
});
