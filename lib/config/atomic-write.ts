import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { EnvkitError } from "../errors";

/**
 * Writes `text` to `file` atomically: a temporary file in the same folder (so the rename cannot
 * cross file systems), flushed, then renamed over `file`. Readers see the old file or the new one,
 * never a half-written one. With `expected` (the text read earlier, or null for "did not exist"),
 * refuses to overwrite a file someone changed in between. A file-system error names `file` as its
 * `path` (a write through a descriptor names none, and the temporary file is not the user's: a
 * full disk was then no `isFsError` for the callers, which turn it into an issue, and ended as an
 * internal error). Something that is not a regular file (a device such as /dev/stdout, a pipe)
 * is written in place: renaming over it would replace it.
 */
export function writeFileAtomically(file: string, text: string, expected?: string | null): void {
  try {
    writeWhole(file, text, expected);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // The file asked for, not the temporary one beside it that the failing call may name.
    // (No instanceof: an fs error may come from another realm, as under jest.)
    if (typeof err === "object" && err !== null && typeof err.code === "string") err.path = file;
    throw e;
  }
}

function writeWhole(file: string, text: string, expected?: string | null): void {
  const existing = fs.statSync(file, { throwIfNoEntry: false });
  if (existing && !existing.isFile() && !existing.isDirectory()) {
    fs.writeFileSync(file, text);
    return;
  }
  const target = fs.existsSync(file) && fs.lstatSync(file).isSymbolicLink() ? fs.realpathSync(file) : file;
  // `.envkit-tmp-*` is git-ignored, so a temporary file left by a killed process is never committed.
  const tmp = path.join(path.dirname(target), `.envkit-tmp-${path.basename(target)}-${process.pid}-${randomBytes(4).toString("hex")}`);
  let mode = 0o644;
  try {
    mode = fs.statSync(target).mode & 0o777;
  } catch {
    // A new file.
  }
  const fd = fs.openSync(tmp, "wx", mode);
  try {
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (expected !== undefined) {
      let now: string | null = null;
      try {
        now = fs.readFileSync(target, "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
      if (now !== expected) throw new EnvkitError([{ file, path: "", message: "changed while envkit was updating it (another deploy recording?); nothing was written, run the command again" }]);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
