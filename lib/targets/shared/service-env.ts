import { ConnectionModel, EnvironmentModel, ServiceModel } from "../../model/environment";
import { secretFileEnv } from "../../model/names";

/**
 * The environment variables a service's containers get on every target: the configured non-secret
 * variables, `APP_ENV` (the environment's name), and `<NAME>_FILE` pointing at each secret's file.
 * The generated ones win: validation rejects a configured variable of the same name (resolve.ts),
 * and a model built some other way must still never point `<NAME>_FILE` away from the secret.
 */
export function serviceEnvironment(env: EnvironmentModel, svc: ServiceModel, secretPath: (name: string) => string): Record<string, string> {
  const generated: Record<string, string> = { APP_ENV: env.name };
  for (const c of svc.connections) if (c.env !== undefined) generated[c.env] = connectionAddress(c);
  for (const s of svc.secrets) generated[secretFileEnv(s.name)] = secretPath(s.name);
  // Generated keys first (a stable order in the output), then configured ones, then the generated
  // values again so that they win.
  return { ...generated, ...svc.env, ...generated };
}

/**
 * The address a client dials for a connection, `<host>:<port>`. The host is the server's service
 * name on every target: the Kubernetes Service of the same namespace (KubernetesService names it
 * after the service), the server's alias on the Docker pair network, its alias on the Swarm
 * overlay (network plan members). The port is the server port's `servicePort`: the Kubernetes
 * Service port; on Docker and Swarm the container port, or, where it differs, the port the envkit
 * proxy listens on under the server's name (shared/proxy-sets.ts translatesPorts).
 */
export function connectionAddress(c: Pick<ConnectionModel, "to" | "servicePort">): string {
  return `${c.to}:${c.servicePort}`;
}
