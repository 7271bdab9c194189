import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { Construct } from "constructs";
import { Quota } from "../../lib/constructs/quota";
import { Secret } from "../../lib/constructs/secret";
import { Service } from "../../lib/constructs/service";
import { StatefulService } from "../../lib/constructs/stateful-service";

/*
 * The reference application (examples/reference-app) written by hand with the constructs, for
 * the staging environment and the dev environment: the same services, overlays and settings as
 * app.yaml + environments/{staging,dev}.yaml. Tests compare what the two paths synthesize.
 */
type Env = "staging" | "dev";

const RELEASES: Record<Env, Record<string, string>> = {
  staging: {
    web: "1.27.2-alpine@sha256:abc8a76e06800ef0aa1494aa648f0fa6e1912d0e7604bc0f748cf2d088fd7be1",
    api: "2.5.0@sha256:2fa4876f0f7500945785e3461659631513d3f12b7365c4156e72ef4593151c91",
    worker: "2.5.0@sha256:1f4d2bce082a8acd080b643ce4f157d1448a32de4bece14c5173fc53312a6072",
    db: "16.4-alpine@sha256:d49900935b2edbcb0a4cb77289e727479f06be6196ba875ad005d18cdfd432bd",
    cache: "7.4.1-alpine@sha256:e9c509cebe68421e9ade9089af122acae73c0de87494408aa02b9b6b8a8e12a3",
  },
  dev: { web: "1.27.2-alpine", api: "2.4.1", worker: "2.4.1", db: "16.4-alpine", cache: "7.4.1-alpine" },
};

/** Declares the shop's services under `env` as the given environment's overlay shapes them. */
export function declareShop(env: Construct, name: Env): Record<string, Service> {
  const staging = name === "staging";
  const release = RELEASES[name];
  const logLevel = staging ? "info" : "debug";
  const dbPassword = new Secret(env, "db_password");
  const jwtSecret = new Secret(env, "jwt_secret");
  if (staging) new Quota(env, "quota", { cpu: "6", memory: "8Gi", cpuLimit: "12", memoryLimit: "12Gi", pods: 40, persistentVolumeClaims: 6, storage: "50Gi" });

  const web = new Service(env, "web", {
    image: "docker.io/nginxinc/nginx-unprivileged",
    release: release.web,
    public: true,
    ports: [{ name: "http", port: 8080 }],
    health: { http: { path: "/", port: "http" } },
    resources: staging ? { cpu: "200m", memory: "128Mi" } : { cpu: "100m", memory: "64Mi" },
    security: { user: "101:101" },
    writablePaths: ["/tmp"],
    ...(staging ? { replicas: 2 } : {}),
  });
  const api = new Service(env, "api", {
    image: "ghcr.io/acme/shop-api",
    release: release.api,
    ports: [{ name: "http", port: 3000 }],
    env: { NODE_ENV: "production", LOG_LEVEL: logLevel, DB_HOST: "db", DB_PORT: 5432, DB_NAME: "shop", DB_USER: "shop", REDIS_HOST: "cache", REDIS_PORT: 6379 },
    secrets: [dbPassword, jwtSecret],
    health: { http: { path: "/health", port: "http" }, startPeriod: "40s" },
    metrics: { port: "http", path: "/metrics" },
    resources: staging ? { cpu: "500m", memory: "512Mi" } : { cpu: "250m", memory: "256Mi" },
    ...(staging ? { replicas: 2 } : {}),
  });
  const worker = new Service(env, "worker", {
    image: "ghcr.io/acme/shop-worker",
    release: release.worker,
    command: ["node", "dist/worker.js"],
    env: { NODE_ENV: "production", LOG_LEVEL: logLevel, DB_HOST: "db", DB_NAME: "shop", DB_USER: "shop", REDIS_HOST: "cache" },
    secrets: [dbPassword],
    health: { command: ["node", "dist/healthcheck.js"] },
    resources: staging ? { cpu: "250m", memory: "256Mi" } : { cpu: "100m", memory: "128Mi" },
    ...(staging ? { replicas: 2 } : {}),
  });
  const db = new StatefulService(env, "db", {
    image: "docker.io/library/postgres",
    release: release.db,
    ports: [{ name: "postgres", port: 5432 }],
    env: { POSTGRES_USER: "shop", POSTGRES_DB: "shop", PGDATA: "/var/lib/postgresql/data/pgdata", POSTGRES_PASSWORD_FILE: dbPassword.path },
    secrets: [dbPassword],
    health: { command: ["pg_isready", "-U", "shop", "-d", "shop"] },
    volumes: { data: { path: "/var/lib/postgresql/data", size: staging ? "20Gi" : "5Gi" } },
    resources: staging ? { cpu: "1", memory: "1Gi" } : { cpu: "250m", memory: "256Mi" },
    security: { user: "70:70" },
    writablePaths: ["/tmp", "/var/run/postgresql"],
    ...(staging ? { backup: { method: "postgres" } } : {}),
  });
  const cache = new StatefulService(env, "cache", {
    image: "docker.io/library/redis",
    release: release.cache,
    command: ["redis-server", "--appendonly", "yes", "--dir", "/data"],
    ports: [{ name: "redis", port: 6379 }],
    health: { command: ["redis-cli", "ping"] },
    volumes: { data: { path: "/data", size: "1Gi" } },
    resources: staging ? { cpu: "250m", memory: "256Mi" } : { cpu: "100m", memory: "128Mi" },
    security: { user: "999:999" },
    ...(staging ? { backup: { method: "redis" } } : {}),
  });
  web.connectTo(api, "http");
  api.connectTo(db, "postgres");
  api.connectTo(cache, "redis");
  worker.connectTo(db, "postgres");
  worker.connectTo(cache, "redis");
  return { web, api, worker, db, cache };
}

const DEV_FILE = parse(fs.readFileSync(path.join(__dirname, "..", "..", "examples", "reference-app", "environments", "dev.yaml"), "utf8")) as Record<string, unknown>;

/** The environment settings of the two files (everything but services, releases and quota). */
export const SETTINGS = {
  staging: {
    domain: "staging.shop.example.com",
    tls: { secretName: "shop-staging-tls" },
    slo: { availability: 99.9 },
    monitoring: { level: "full" as const },
    kubernetes: { context: "staging" },
    backend: { type: "s3" as const, bucket: "acme-terraform-state", key: "shop/staging.tfstate", region: "eu-central-1", encrypt: true, useLockfile: true },
    rollout: { maxSurge: 1, maxUnavailable: 0, timeout: "10m" },
    policy: { enforcement: "mandatory" as const },
  },
  // The monitoring set's pinned images, receiver and suppressions are read from dev.yaml (their
  // digests and citations live there once); the services are declared above with the constructs.
  dev: { network: { subnet: "10.200.0.0/16" }, monitoring: DEV_FILE.monitoring as { level: "basic" }, policy: DEV_FILE.policy as { enforcement: "advisory" } },
};
