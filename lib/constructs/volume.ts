import { Construct } from "constructs";
import type { ServiceConfig } from "../config/schema";
import { declarationsOf } from "./declarations";
import type { MemoryQuantity } from "./service-props";
import type { StatefulService } from "./stateful-service";

/** Props of {@link Volume}. */
export interface VolumeProps {
  /** Where the volume is mounted in the container, e.g. `"/var/lib/postgresql/data"`. */
  readonly path: string;
  /** Capacity requested. @default "1Gi" */
  readonly size?: MemoryQuantity;
  /** Kubernetes storage class. @default the cluster's default class */
  readonly storageClass?: string;
}

/** A persistent volume of a {@link StatefulService}; its name is the construct id. */
export class Volume extends Construct {
  public readonly volumeName: string;
  private readonly props: VolumeProps;

  constructor(service: StatefulService, id: string, props: VolumeProps) {
    super(service, id);
    this.volumeName = id;
    this.props = props;
    declarationsOf(this, "volume").add(this, () => void service.volumes.set(id, this));
  }

  /** The mount path. */
  public get path(): string {
    return this.props.path;
  }

  public toVolumeConfig(): NonNullable<ServiceConfig["volumes"]>[number] {
    const { path, size, storageClass } = this.props;
    return { name: this.volumeName, path, ...(size !== undefined ? { size } : {}), ...(storageClass !== undefined ? { storageClass } : {}) };
  }
}
