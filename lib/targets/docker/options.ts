import { EnvironmentModel } from "../../model/environment";

/** The Docker target's settings of an environment (`docker:` in its file), defaults applied. */
export interface DockerOptions {
  /** Engine address. @default "unix:///var/run/docker.sock" */
  readonly host: string;
  /** Folder of the TLS client certificates for a `tcp://` host (never key material). @default DOCKER_CERT_PATH */
  readonly certPath?: string;
  /** Address published ports listen on. @default "127.0.0.1" */
  readonly publishAddress: string;
  /** Host folder holding one file per secret, bind-mounted read-only instead of uploading. @default unset */
  readonly secretsHostDir?: string;
}

/** The Docker settings of `env`: the one reader, so the model's shape is this target's business. */
export function dockerOptions(env: EnvironmentModel): DockerOptions {
  return env.docker;
}
