#!/usr/bin/env node
import { internalError, runCli } from "./main";
import { EXIT } from "./io";

// cdktf's libraries never phone home from here, but be explicit for any child process.
process.env.CHECKPOINT_DISABLE ??= "1";

// A closed pipe (`envkit diff ... | head`) is the reader's choice, not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? EXIT.ok);
    throw e;
  });
}

// Last resort for anything thrown outside runCli's own handler (e.g. asynchronously): one line,
// exit 3, the stack trace only with ENVKIT_DEBUG=1.
process.on("uncaughtException", (e) => {
  process.stderr.write(`${internalError(process.argv[2] ?? "", e)}\n`);
  process.exit(EXIT.internal);
});

process.exitCode = runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
});
