import { Construct } from "constructs";
import { EnvironmentModel } from "../../model/environment";
import { TargetAdapter, TargetIssue } from "../target";
import { inspectKubernetesStack } from "./kubernetes-inspect";
import type * as Lowering from "./kubernetes-environment";

/** Lowers `target: kubernetes` environments to hashicorp/kubernetes `*_v1`/`*_v2` resources. */
export const kubernetesTarget: TargetAdapter = {
  name: "kubernetes",
  validate(env: EnvironmentModel): TargetIssue[] {
    // The quota fit check is guardrail ENVK-K8S-004 (severity per environment), not repeated here.
    const issues: TargetIssue[] = [];
    for (const svc of env.services) {
      if (svc.public && svc.ports.length === 0) issues.push({ path: ["services", svc.name, "public"], message: `public service "${svc.name}" has no port for its ingress; declare a port or set public: false` });
    }
    return issues;
  },
  inspect: inspectKubernetesStack,
  preload(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("./kubernetes-environment");
  },
  lower(scope: Construct, env: EnvironmentModel): void {
    // Loaded on first use: validate, policy and review never pay for the provider classes.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { KubernetesEnvironment } = require("./kubernetes-environment") as typeof Lowering;
    new KubernetesEnvironment(scope, "kubernetes", { environment: env });
  },
};
