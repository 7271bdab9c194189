import { Construct } from "constructs";
import { BackendConfig } from "../lib/config/schema";
import { AzurermBackend, GcsBackend, IndependentStack, LocalBackend, PgBackend, RemoteBackend, S3Backend, TerraformStack } from "../lib/facade/cdktf";
import { EnvironmentModel } from "../lib/model/environment";
import { adapterFor } from "../lib/targets/registry";
import { EnvkitError } from "../lib/errors";

/** Props of {@link EnvironmentStack}. */
export interface EnvironmentStackProps {
  /** The resolved environment (from `loadConfigDir`/`resolveObjects`). */
  readonly environment: EnvironmentModel;
}

/**
 * One Terraform stack per environment, named after it, with its own state backend; the
 * environment's target adapter adds every resource. Stacks never reference each other, so
 * `cdktf diff <env>` and `cdktf deploy <env>` work on one environment alone — and synthesis can
 * skip cdktf's cross-stack machinery (see lib/facade/independent-stack.ts).
 */
export class EnvironmentStack extends IndependentStack {
  public readonly environment: EnvironmentModel;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id);
    this.environment = props.environment;
    configureBackend(this, props.environment.backend);
    const adapter = adapterFor(props.environment.target);
    if (!adapter) {
      throw new EnvkitError([{ path: "target", message: `environment "${props.environment.name}": target "${props.environment.target}" is not implemented in this version of envkit; use "docker" or "kubernetes"` }]);
    }
    adapter.lower(this, props.environment);
  }
}

/** Applies the environment's backend; local state uses a relative path so output is portable. */
export function configureBackend(stack: TerraformStack, b: BackendConfig): void {
  switch (b.type) {
    case "local":
      new LocalBackend(stack, { path: b.path! });
      return;
    case "s3":
      new S3Backend(stack, { bucket: b.bucket, key: b.key, region: b.region, encrypt: b.encrypt ?? true, dynamodbTable: b.dynamodbTable });
      // S3-native locking (Terraform >= 1.10) is newer than cdktf 0.21's typed config.
      if (b.useLockfile !== undefined) stack.addOverride("terraform.backend.s3.use_lockfile", b.useLockfile);
      return;
    case "gcs":
      new GcsBackend(stack, { bucket: b.bucket, prefix: b.prefix });
      return;
    case "azurerm":
      new AzurermBackend(stack, { resourceGroupName: b.resourceGroupName, storageAccountName: b.storageAccountName, containerName: b.containerName, key: b.key });
      return;
    case "pg":
      new PgBackend(stack, { connStr: "", schemaName: b.schemaName });
      // The connection string holds a password: Terraform reads it from PG_CONN_STR instead.
      stack.addOverride("terraform.backend.pg.conn_str", undefined);
      return;
    case "remote":
      new RemoteBackend(stack, { organization: b.organization, hostname: b.hostname, workspaces: { name: b.workspace } });
      return;
  }
}
