#!/usr/bin/env node
import { runCli } from "./main";

// cdktf's libraries never phone home from here, but be explicit for any child process.
process.env.CHECKPOINT_DISABLE ??= "1";
process.exitCode = runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
});
