import { ConfigIssue } from "../errors";

/** What each Node file-system error code means, phrased about the path it names. */
const FS_PROBLEMS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied (operation not permitted)",
  ENOENT: "does not exist",
  ENOTDIR: "a part of this path is a file, not a folder",
  EISDIR: "is a folder, not a file",
  EEXIST: "already exists (as a file, where a folder is needed)",
  ELOOP: "is a loop of symbolic links",
  EROFS: "is on a read-only file system",
  ENOSPC: "no space is left on the device",
  EDQUOT: "the disk quota is exceeded",
  ENAMETOOLONG: "the path is too long",
  EMFILE: "too many files are open",
  ENFILE: "too many files are open",
  EBUSY: "is busy (in use by another process)",
  EIO: "an input/output error occurred",
  ENXIO: "is a device or socket that cannot be opened",
  EAGAIN: "is not ready to be read (a named pipe or device?)",
};

/** True for an error thrown by Node's `fs` (it has an errno `code` and the `path` it concerns). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException & { code: string; path: string } {
  const x = e as NodeJS.ErrnoException | undefined;
  return x instanceof Error && typeof x.code === "string" && /^E[A-Z0-9]+$/.test(x.code) && typeof x.path === "string";
}

/**
 * A Node file-system error as a located issue: `file: <what is wrong>; <fix>`. Only the error's
 * code is used, never its message or the file's content.
 */
export function fsIssue(file: string, err: unknown, action: "read" | "opened" | "written", fix: string): ConfigIssue {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? "";
  const problem = FS_PROBLEMS[code];
  const what = !problem ? `cannot be ${action} (${code || String(err)})` : code === "EACCES" || code === "EPERM" ? `cannot be ${action}: ${problem}` : problem;
  return { file, path: "", message: `${what}; ${fix}` };
}
