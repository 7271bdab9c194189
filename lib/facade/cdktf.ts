/**
 * The one module that imports `cdktf`. cdktf is archived upstream (0.21.0 is final); its
 * community fork (CDK Terrain, `cdktn`) is mostly a rename, so moving to it must be a change to
 * this folder only. Lint forbids importing `cdktf` anywhere else.
 */
export {
  App,
  TerraformStack,
  TerraformVariable,
  TerraformOutput,
  LocalBackend,
  S3Backend,
  GcsBackend,
  AzurermBackend,
  PgBackend,
  RemoteBackend,
  Testing,
  Lazy,
  Tokenization,
  TerraformProvider,
  TerraformResource,
  TerraformIterator,
  Aspects,
} from "cdktf";
export { IndependentStack } from "./independent-stack";
export { withoutTokenStackTraces } from "./token-stack-traces";
export type { IAspect, AppConfig as CdktfAppConfig, ITerraformDependable } from "cdktf";
