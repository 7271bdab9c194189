import { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { EnvkitError } from "../errors";
import { DeclaredQuota, declarationsOf } from "./declarations";
import { plain } from "./service";
import type { CpuQuantity, MemoryQuantity } from "./service-props";

/** Props of {@link Quota}: totals over every workload of the environment. */
export interface QuotaProps {
  /** Sum of CPU requests. @default no limit */
  readonly cpu?: CpuQuantity;
  /** Sum of memory requests. @default no limit */
  readonly memory?: MemoryQuantity;
  /** Sum of CPU limits. @default no limit */
  readonly cpuLimit?: CpuQuantity;
  /** Sum of memory limits. @default no limit */
  readonly memoryLimit?: MemoryQuantity;
  /** Number of pods. @default no limit */
  readonly pods?: number;
  /** Number of persistent volume claims. @default no limit */
  readonly persistentVolumeClaims?: number;
  /** Total requested storage. @default no limit */
  readonly storage?: MemoryQuantity;
}

/**
 * The environment's resource budget (a ResourceQuota on Kubernetes). envkit checks before
 * anything is applied that the services, their rollout surge included, fit in it.
 */
export class Quota extends Construct implements DeclaredQuota {
  private readonly props: QuotaProps;

  constructor(scope: Construct, id: string, props: QuotaProps) {
    super(scope, id);
    this.props = props;
    const declarations = declarationsOf(this, "quota");
    declarations.add(this, () => {
      if (declarations.quota) throw new EnvkitError([{ file: this.node.path, path: "", message: `the environment already has a quota (${declarations.quota.node.path}); declare one Quota per environment` }]);
      declarations.quota = this;
    });
  }

  public toQuotaConfig(): NonNullable<EnvironmentConfig["quota"]> {
    const q = plain(this.props) as NonNullable<EnvironmentConfig["quota"]>;
    return q;
  }
}
