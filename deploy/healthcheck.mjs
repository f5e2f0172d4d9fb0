#!/usr/bin/env node
// Exits 0 when the coursefed node on this host answers GET /healthz with a success, 1
// otherwise. Docker's HEALTHCHECK and the systemd units run it: plain Node, because the
// slim image has no curl or wget.
//
//   node deploy/healthcheck.mjs [--wait SECONDS] [HOST:PORT]
//
// The address defaults to COURSEFED_LISTEN, as the node itself reads it; a wildcard
// address (0.0.0.0, ::) is asked on loopback. --wait keeps asking until the time is up:
// a first start or an upgrade applies the database migrations before the node listens.

const DEFAULT_LISTEN = "127.0.0.1:8321";
const ATTEMPT_TIMEOUT_MS = 5_000;
const RETRY_DELAY_MS = 1_000;

function usage(message) {
  process.stderr.write(
    `healthcheck: ${message}\nusage: healthcheck.mjs [--wait SECONDS] [HOST:PORT]\n`,
  );
  process.exit(2);
}

function parseArguments(argv) {
  let waitSeconds = 0;
  let listen;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--wait") {
      waitSeconds = Number(argv[++index]);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0)
        usage("--wait needs a number of seconds");
    } else if (listen === undefined && !argument.startsWith("-")) {
      listen = argument;
    } else {
      usage(`unexpected argument ${argument}`);
    }
  }
  return { waitSeconds, listen: listen ?? process.env.COURSEFED_LISTEN ?? DEFAULT_LISTEN };
}

function healthUrl(listen) {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  if (!match) usage(`"${listen}" is not HOST:PORT`);
  const host = match[1] ?? match[2];
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const authority = reachable.includes(":") ? `[${reachable}]` : reachable;
  return `http://${authority}:${match[3]}/healthz`;
}

async function healthy(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.ok ? "" : `answered ${response.status}`;
  } catch (error) {
    return error.cause?.code ?? error.message;
  }
}

const { waitSeconds, listen } = parseArguments(process.argv.slice(2));
const url = healthUrl(listen);
const deadline = Date.now() + waitSeconds * 1000;
for (;;) {
  const problem = await healthy(url);
  if (!problem) process.exit(0);
  if (Date.now() + RETRY_DELAY_MS > deadline) {
    process.stderr.write(`healthcheck: ${url} ${problem}\n`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
}
