import { Construct } from "constructs";
import type { ServiceConfig } from "../config/schema";
import { Service, ServiceProps, plain } from "./service";
import type { BackupProps } from "./service-props";
import { Volume, VolumeProps } from "./volume";

/** Props of {@link StatefulService}. */
export interface StatefulServiceProps extends ServiceProps {
  /**
   * Volumes by name (each also creatable with {@link StatefulService.addVolume}).
   * @default {} (no volumes)
   */
  readonly volumes?: Readonly<Record<string, VolumeProps>>;
  /** Scheduled backups of the service's data. @default none */
  readonly backup?: BackupProps;
}

/**
 * A service that keeps data: one replica with its own persistent volumes (a Docker volume, a
 * StatefulSet claim), never replaced by a release bump.
 */
export class StatefulService extends Service {
  /** Volume name → its construct. */
  public readonly volumes = new Map<string, Volume>();

  private readonly backup?: BackupProps;

  constructor(scope: Construct, id: string, props: StatefulServiceProps) {
    super(scope, id, props);
    this.backup = props.backup;
    for (const [name, volume] of Object.entries(props.volumes ?? {})) this.addVolume(name, volume);
  }

  /** Adds a persistent volume named `name`. */
  public addVolume(name: string, props: VolumeProps): Volume {
    return new Volume(this, name, props);
  }

  protected get kind(): "stateless" | "stateful" {
    return "stateful";
  }

  protected extraConfig(): Partial<ServiceConfig> {
    const volumes = [...this.volumes.values()].map((v) => v.toVolumeConfig());
    return { ...(volumes.length > 0 ? { volumes } : {}), ...(this.backup ? { backup: plain(this.backup as ServiceConfig["backup"]) } : {}) };
  }
}
