// Starts fauxqs (an SQS-compatible server) on 127.0.0.1 only: fauxqs's own
// CLI listens on every interface. Used by streams/sqsbridge/sqstest and the
// README's local try-out. FAUXQS_PORT (default 4566, 0 = any free port);
// prints "fauxqs listening http://127.0.0.1:<port>" once it accepts requests.
// Exits when its standard input closes (the parent test binary died) or on
// SIGTERM/SIGINT.
import { buildApp } from "fauxqs";

const port = Number.parseInt(process.env.FAUXQS_PORT ?? "4566", 10);
const app = buildApp({ logger: process.env.FAUXQS_LOGGER === "true" });
const address = await app.listen({ port, host: "127.0.0.1" });
process.stdout.write(`fauxqs listening ${address}\n`);

const stop = () => {
  app.close().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (process.env.FAUXQS_WATCH_STDIN === "1") {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("close", () => process.exit(0));
  process.stdin.resume();
}
