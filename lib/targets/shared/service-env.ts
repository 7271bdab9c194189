import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { secretFileEnv } from "../../model/names";

/**
 * The environment variables a service's containers get on every target: the configured non-secret
 * variables, `APP_ENV` (the environment's name), and `<NAME>_FILE` pointing at each secret's file.
 * Configured values win over the generated ones.
 */
export function serviceEnvironment(env: EnvironmentModel, svc: ServiceModel, secretPath: (name: string) => string): Record<string, string> {
  const out: Record<string, string> = { APP_ENV: env.name };
  for (const s of svc.secrets) out[secretFileEnv(s.name)] = secretPath(s.name);
  return { ...out, ...svc.env };
}
