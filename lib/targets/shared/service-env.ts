import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { secretFileEnv } from "../../model/names";

/**
 * The environment variables a service's containers get on every target: the configured non-secret
 * variables, `APP_ENV` (the environment's name), and `<NAME>_FILE` pointing at each secret's file.
 * The generated ones win: validation rejects a configured variable of the same name (resolve.ts),
 * and a model built some other way must still never point `<NAME>_FILE` away from the secret.
 */
export function serviceEnvironment(env: EnvironmentModel, svc: ServiceModel, secretPath: (name: string) => string): Record<string, string> {
  const generated: Record<string, string> = { APP_ENV: env.name };
  for (const s of svc.secrets) generated[secretFileEnv(s.name)] = secretPath(s.name);
  // Generated keys first (a stable order in the output), then configured ones, then the generated
  // values again so that they win.
  return { ...generated, ...svc.env, ...generated };
}
