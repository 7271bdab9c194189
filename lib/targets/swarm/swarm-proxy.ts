import { Config } from "@cdktf/provider-docker/lib/config";
import { Service } from "@cdktf/provider-docker/lib/service";
import { Construct } from "constructs";
import { EnvironmentModel } from "../../model/environment";
import { scopedName } from "../../model/names";
import { proxyLimits } from "../shared/proxy-settings";
import { STOP_GRACE_SECONDS, labelList, logRotation } from "../shared/container-spec";
import { LABEL, environmentLabels } from "../shared/labels";
import { PROXY_CONFIG_FILE, PROXY_UID, configHash, haproxyConfig, proxyEntrypoint, proxyHealthTest } from "../shared/proxy";
import { SwarmProxyPlan } from "./swarm-routing";
import { swarmOptions } from "./options";

/** The proxy's `app.kubernetes.io/name`. */
export const SWARM_PROXY_NAME = "envkit-proxy";

/** Props of {@link SwarmProxy}. */
export interface SwarmProxyProps {
  readonly environment: EnvironmentModel;
  readonly plan: SwarmProxyPlan;
  /** Networks (ids) the proxy joins, with the names it answers to there. */
  readonly networks: readonly { readonly id: string; readonly aliases: readonly string[] }[];
  /** The services it routes to (their services exist before it routes). */
  readonly upstreams: readonly Service[];
}

/**
 * The envkit proxy on a Swarm: a `docker_service` running HAProxy with its configuration as a
 * `docker_config` named by the configuration's hash. docker_config has no Update and `data` is
 * ForceNew (kreuzwerker/docker 3.6.2 resource_docker_config.go:14-41), so a new configuration is
 * a new config object (create_before_destroy: created before the old one, which Swarm refuses to
 * remove while a task uses it); the service's `configs` reference changes, which the provider
 * applies in place (ServiceUpdate with the whole spec, resource_docker_service_funcs.go:164-217),
 * and Swarm rolls the proxy task start-first: the new task (new file) runs before the old one stops.
 * `config` and `service` are public escape hatches.
 */
export class SwarmProxy extends Construct {
  public readonly config: Config;
  public readonly service: Service;
  /** The HAProxy configuration this stack installs. */
  public readonly text: string;

  constructor(scope: Construct, id: string, props: SwarmProxyProps) {
    super(scope, id);
    const env = props.environment;
    const o = swarmOptions(env);
    this.text = haproxyConfig(props.plan.plan);
    const labels = labelList({ ...environmentLabels(env), [LABEL.name]: SWARM_PROXY_NAME });
    this.config = new Config(this, "config", {
      name: scopedName(env.app, env.name, "proxy", configHash(this.text)),
      data: Buffer.from(this.text, "utf8").toString("base64"),
      lifecycle: { createBeforeDestroy: true },
    });
    const { cpuMillis, memoryBytes } = proxyLimits(o.proxy, "swarm.proxy");
    const [entry, ...args] = proxyEntrypoint();
    this.service = new Service(this, "service", {
      name: scopedName(env.app, env.name, "proxy"),
      labels,
      mode: { replicated: { replicas: 1 } },
      taskSpec: {
        containerSpec: {
          image: o.proxy.image,
          command: [entry],
          args,
          user: `${PROXY_UID}:${PROXY_UID}`,
          readOnly: true,
          capDrop: ["ALL"],
          labels,
          stopSignal: "SIGTERM",
          stopGracePeriod: `${STOP_GRACE_SECONDS}s`,
          healthcheck: { test: proxyHealthTest(), interval: "2s", timeout: "2s", retries: 3, startPeriod: "2s" },
          mounts: [{ type: "tmpfs", target: "/tmp" }],
          configs: [{ configId: this.config.id, configName: this.config.name, fileName: PROXY_CONFIG_FILE, fileUid: String(PROXY_UID), fileGid: String(PROXY_UID), fileMode: 0o444 }],
        },
        resources: { limits: { nanoCpus: cpuMillis * 1_000_000, memoryBytes }, reservation: { nanoCpus: Math.ceil(cpuMillis / 5) * 1_000_000, memoryBytes: Math.ceil(memoryBytes / 2) } },
        restartPolicy: { condition: "any", delay: "5s", maxAttempts: 0, window: "120s" },
        logDriver: { name: "json-file", options: logRotation({ logging: { maxSize: "10m", maxFile: 3 } }) },
        networksAdvanced: props.networks.map((n) => ({ name: n.id, aliases: n.aliases.length ? [...n.aliases] : undefined })),
      },
      // A new configuration rolls the proxy new task first (the routing mesh keeps serving from the
      // old one); with publishMode host the new task could not bind the port the old one holds, so
      // it is stop-first there (a short gap on each switch).
      updateConfig: { parallelism: 1, delay: "0s", failureAction: "rollback", monitor: "5s", maxFailureRatio: "0", order: o.publishMode === "host" ? "stop-first" : "start-first" },
      rollbackConfig: { parallelism: 1, delay: "0s", failureAction: "pause", monitor: "5s", maxFailureRatio: "0", order: o.publishMode === "host" ? "stop-first" : "start-first" },
      convergeConfig: o.converge ? { delay: "2s", timeout: "3m" } : undefined,
      endpointSpec: {
        mode: "vip",
        ports: props.plan.publish.length ? props.plan.publish.map((p) => ({ name: `p${p.hostPort}`, protocol: "tcp", targetPort: p.listen, publishedPort: p.hostPort, publishMode: o.publishMode })) : undefined,
      },
      dependsOn: [...props.upstreams],
    });
  }
}
