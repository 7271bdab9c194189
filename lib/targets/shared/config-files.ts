import { ServiceModel, filesHash } from "../../model/environment";
import { scopedName } from "../../model/names";

/*
 * A service's config files as every target carries them: in path order, each with a key that is
 * valid everywhere (a ConfigMap key, a Swarm config name part), and the content hash that names
 * the objects holding them, so a change makes new objects (the workload rolls) and a revert
 * makes the old ones again (the rollback restores the files).
 */

/** One config file with its stable key (`file-<n>` in path order). */
export interface KeyedFile {
  readonly key: string;
  readonly path: string;
  readonly content: string;
}

/** Mode of every config file: readable by the service user, writable by none. */
export const CONFIG_FILE_MODE = 0o444;

/** The service's files, keyed, in path order. */
export function keyedFiles(svc: Pick<ServiceModel, "files">): KeyedFile[] {
  const files = [...(svc.files ?? [])].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return files.map((f, i) => ({ key: `file-${i}`, path: f.path, content: f.content }));
}

/** The hash of the service's files (empty string without files). */
export function configFilesHash(svc: Pick<ServiceModel, "files">): string {
  return svc.files?.length ? filesHash(svc.files) : "";
}

/** Annotation (Kubernetes pod template) / label (engines) that carries the files' hash. */
export const FILES_HASH_KEY = "envkit.dev/files-hash";

/** Name of the object that holds a service's files at one content: `<app>-<env>-<svc>-files-<hash>`. */
export function filesObjectName(env: { readonly app: string; readonly name: string }, svc: Pick<ServiceModel, "name" | "files">): string {
  return scopedName(env.app, env.name, svc.name, "files", configFilesHash(svc));
}

/**
 * Config files a Docker container (docker-service.ts configFolders: each folder holding files is a
 * volume, API 1.41 has no volume subpath) cannot get: one directly under "/", which cannot be a
 * volume. `label` names the target in the message ("Docker", "Swarm jobs").
 */
export function containerFileFolderProblems(svc: Pick<ServiceModel, "name" | "files">, label: string): { path: string[]; message: string }[] {
  return (svc.files ?? []).flatMap((f, i) =>
    f.path.lastIndexOf("/") === 0
      ? [{ path: ["services", svc.name, "files", String(i), "path"], message: `"${f.path}" is directly under "/"; on ${label} a config file's folder is mounted as a volume, and "/" cannot be one: put the file in a folder (e.g. "/etc/app${f.path}")` }]
      : [],
  );
}
