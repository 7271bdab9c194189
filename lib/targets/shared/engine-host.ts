import { z } from "zod";
import { redactUrlPassword, urlPassword } from "../../model/url";

/**
 * The address of a container engine API (`unix://`, `tcp://` or `ssh://`), for every target that
 * talks to one. Credentials in it would be written into the synthesized JSON and the state, so an
 * address with a password is refused; the message shows only the redacted address.
 */
export const EngineHostSchema = z
  .string()
  .regex(/^(unix|tcp|ssh):\/\//, { message: "must start with unix://, tcp:// or ssh://" })
  .check((ctx) => {
    if (urlPassword(ctx.value) === undefined) return;
    ctx.issues.push({
      code: "custom",
      message: `"${redactUrlPassword(ctx.value)}" embeds a password, which would be written into the synthesized JSON and the state; remove it from the address (ssh://user@host with an SSH key or agent, or tcp:// with TLS certificates in certPath)`,
      input: redactUrlPassword(ctx.value),
    });
  });

/** The engine's conventional port for the API without TLS (2376 is the TLS one). */
export const PLAIN_API_PORT = "2375";

/**
 * A `tcp://` engine address used without TLS client certificates, as a message, or undefined.
 * The provider falls back to DOCKER_CERT_PATH at apply time, which envkit cannot see, so the
 * message says so rather than claiming the connection is plain. `certKey` names the setting,
 * `engine` what is reached ("Docker engine", "Swarm manager").
 */
export function plainTcpHostProblem(host: string, certPath: string | undefined, certKey: string, engine = "container engine"): string | undefined {
  if (!host.startsWith("tcp://") || certPath) return undefined;
  const port = /:(\d+)\/?$/.exec(host)?.[1];
  const plain = port === PLAIN_API_PORT ? ` (${PLAIN_API_PORT} is the engine's port for the API without TLS)` : "";
  const shown = host.replace(/^tcp:\/\/[^@/]*@/, "tcp://");
  return `"${shown}" reaches the ${engine} over TCP${plain} and ${certKey} is not set: unless DOCKER_CERT_PATH names client certificates where terraform runs, the engine API (root on the host) and every uploaded secret cross the network unencrypted and unauthenticated`;
}
