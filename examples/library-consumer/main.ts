import { App, TerraformOutput, TerraformStack } from "cdktf";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Volume as DockerVolume } from "@cdktf/provider-docker/lib/volume";
import { Environment, Secret, Service, StatefulService, synthApp } from "envkit";

const app = new App(); // writes to CDKTF_OUTDIR (set by the cdktf CLI), else cdktf.out

// The team's own stack, provider and resources.
const stack = new TerraformStack(app, "billing-dev");
new DockerProvider(stack, "docker", { host: "unix:///var/run/docker.sock" });
const backups = new DockerVolume(stack, "backups", { name: "billing-backups" });

// An envkit environment in the same stack: it reuses the provider above (never a second one).
const dev = new Environment(stack, "dev", { app: "billing", target: "docker", settings: { network: { subnet: "10.230.0.0/16" } } });
const dbPassword = new Secret(dev, "db_password");
const db = new StatefulService(dev, "db", {
  image: "docker.io/library/postgres",
  release: "16.4-alpine@sha256:d49900935b2edbcb0a4cb77289e727479f06be6196ba875ad005d18cdfd432bd",
  ports: [{ name: "postgres", port: 5432 }],
  env: { POSTGRES_USER: "billing", POSTGRES_PASSWORD_FILE: dbPassword.path },
  secrets: [dbPassword],
  health: { command: ["pg_isready", "-U", "billing"] },
  security: { user: "70:70" },
  writablePaths: ["/tmp", "/var/run/postgresql"],
  volumes: { data: { path: "/var/lib/postgresql/data", size: "5Gi" } },
});
const api = new Service(dev, "api", {
  image: "ghcr.io/acme/billing-api",
  release: "3.1.0@sha256:2fa4876f0f7500945785e3461659631513d3f12b7365c4156e72ef4593151c91",
  ports: [{ name: "http", port: 8080 }],
  env: { DB_ADDR: db.address("postgres") },
  secrets: [dbPassword],
  health: { http: { path: "/health", port: "http" } },
});
api.connectTo(db, "postgres");

// Typed references for the team's own outputs and resources.
new TerraformOutput(stack, "api_address", { value: api.address("http") });
new TerraformOutput(stack, "db_password_variable", { value: dbPassword.variableName });
new TerraformOutput(stack, "backups_volume", { value: backups.name });

// Like app.synth(), but a failed guardrail prints one line per problem and exits 1 (no stack trace).
synthApp(app);
