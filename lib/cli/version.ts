import * as fs from "node:fs";
import * as path from "node:path";

/** The package version, read once from package.json (two levels up from dist/lib/cli or lib/cli). */
export const VERSION: string = ((): string => {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    const p = path.join(__dirname, rel);
    if (fs.existsSync(p)) return (JSON.parse(fs.readFileSync(p, "utf8")) as { version: string }).version;
  }
  return "0.0.0";
})();
