import cluster from "node:cluster";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { OIDC_ENVIRONMENT } from "../../accounts/oidc/oidc-config.ts";
import {
  CONFIG_FILE_ENVIRONMENT,
  DEFAULT_DATA_DIR,
  DEFAULT_LISTEN,
  readConfigFile,
  resolveConfig,
} from "../../config.ts";
import { ConfigError } from "../../config-error.ts";
import { CONFIG_ENVIRONMENT } from "../../config-names.ts";
import type { initializeNode } from "../../node.ts";
import type { startServer } from "../../server.ts";
import { DEFAULT_NODE } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";

/**
 * How long requests under way at a stop get to finish: within the 10 s `docker stop`
 * and most supervisors wait before they kill.
 */
const REQUESTS_DRAIN_MS = 8_000;

export function serveCommand(program: Command, result: CommandResult): void {
  program
    .command("serve")
    .summary("run this institution's node")
    .description(
      `Run the coursefed node: create the data directory on first start (archives; the SQLite database unless --database-url names a PostgreSQL one; keys), bring the database schema up to date, and serve federation, the web interface and the HTTP API until stopped by Ctrl-C, SIGTERM or SIGHUP (requests under way then get 8 s to finish, and the database is closed). The data directory and what the node writes there are its user's only (folders 0700, files 0600, whatever the umask); when the directory or the SQLite database made earlier is open to other users, serve says so on start with the chmod to run, and changes nothing itself. With --workers N (PostgreSQL only), N processes share the port, the database and the data directory, and each works the queues. Each option can also be set by the environment variable named after it, or in a JSON configuration file (--config) whose keys are the options in camelCase (dataDir, databaseUrl, workers, url, listen, handle, name, autoAccept, maxUpload, maxInboxBody, federation, domains, allowPrivateAddresses, firstKnock, trustProxy, catchUp). Flags win over the environment, which wins over the file. Single sign-on through an OpenID Connect provider is set by the environment only (it holds the client secret): ${Object.values(OIDC_ENVIRONMENT).join(", ")}; setting ${OIDC_ENVIRONMENT.issuer} turns it on, and the provider must allow the redirect URI URL/login/oidc/callback.`,
    )
    .option(
      "--config <file>",
      `JSON configuration file [${CONFIG_FILE_ENVIRONMENT}]; a relative dataDir in it is taken from the file's folder`,
    )
    .option(
      "--data-dir <dir>",
      `where the node keeps its data [${CONFIG_ENVIRONMENT.dataDir}] (default ./.coursefed)`,
    )
    .option(
      "--database-url <url>",
      `PostgreSQL database, postgres://USER:PASSWORD@HOST:5432/DATABASE [${CONFIG_ENVIRONMENT.databaseUrl}] (default SQLite in the data directory)`,
    )
    .option(
      "--workers <n>",
      `node processes to run, sharing the port; needs --database-url [${CONFIG_ENVIRONMENT.workers}] (default 1)`,
    )
    .option(
      "--url <url>",
      `public URL peers reach the node at [${CONFIG_ENVIRONMENT.url}] (default http://LISTEN/)`,
    )
    .option(
      "--listen <host:port>",
      `address to listen on [${CONFIG_ENVIRONMENT.listen}] (default ${DEFAULT_LISTEN})`,
    )
    .option(
      "--handle <name>",
      `the institution's handle, as in @name@host [${CONFIG_ENVIRONMENT.handle}] (default institution)`,
    )
    .option(
      "--name <text>",
      `the institution's display name [${CONFIG_ENVIRONMENT.name}] (default the host name)`,
    )
    .option(
      "--auto-accept <hosts>",
      `comma-separated hosts whose follow requests need no approval [${CONFIG_ENVIRONMENT.autoAccept}]`,
    )
    .option(
      "--federation <mode>",
      `open, allowlist or blocklist [${CONFIG_ENVIRONMENT.federation}] (default open)`,
    )
    .option(
      "--domains <hosts>",
      `comma-separated hosts for the allowlist or blocklist [${CONFIG_ENVIRONMENT.domains}]`,
    )
    .option(
      "--max-upload <size>",
      `largest backup the API accepts [${CONFIG_ENVIRONMENT.maxUpload}] (default 8GiB)`,
    )
    .option(
      "--max-inbox-body <size>",
      `largest activity the inboxes accept, refused with 413 before it is read further; forms and API requests have fixed limits [${CONFIG_ENVIRONMENT.maxInboxBody}] (default 1MiB)`,
    )
    .option(
      "--allow-private-addresses",
      `let peers live on private and loopback addresses, e.g. on an intranet [${CONFIG_ENVIRONMENT.allowPrivateAddresses}=1]`,
    )
    .option(
      "--first-knock <scheme>",
      `HTTP signature scheme tried first with a new server, rfc9421 or draft-cavage; the other is tried if refused [${CONFIG_ENVIRONMENT.firstKnock}] (default rfc9421)`,
    )
    .option(
      "--catch-up <period>",
      `how often the outboxes of the actors followed are read again for what deliveries missed (new courses, revisions, withdrawals), 10m to 7d, or off; also on start when a period has passed [${CONFIG_ENVIRONMENT.catchUp}] (default 6h)`,
    )
    .option(
      "--trust-proxy <addresses>",
      `comma-separated addresses of the reverse proxies in front of the node, whose X-Forwarded-For is believed [${CONFIG_ENVIRONMENT.trustProxy}]`,
    )
    .action(async (options) => {
      let config: ReturnType<typeof resolveConfig>;
      try {
        const file = options.config ?? process.env[CONFIG_FILE_ENVIRONMENT];
        config = resolveConfig(options, process.env, file ? readConfigFile(file) : {});
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        process.stderr.write(`coursefed serve: ${error.message}\n`);
        result.exitCode = ExitCode.invalidInput;
        return;
      }
      // Besides the modes given to each file: whatever else the process or a library
      // writes is private too. Moodle's PHP, run from here, sets its own umask.
      process.umask(0o077);
      // The node's modules are loaded only now: `serve --help` or a wrong setting needs
      // none of Fedify, Hono or the database drivers, which take seconds to load.
      const [
        { createNode },
        { startServer },
        { openToOthers, openToOthersWarning },
        { dataDirectoryProblem },
      ] = await Promise.all([
        import("../../node.ts"),
        import("../../server.ts"),
        import("../private-data-warning.ts"),
        import("../data-directory-problem.ts"),
      ]);
      if (!cluster.isWorker) {
        const exposed = await openToOthers(config.dataDir, config.database);
        if (exposed.length > 0) {
          process.stderr.write(`${openToOthersWarning(config.dataDir, exposed)}\n`);
        }
      }
      if (config.workers > 1 && cluster.isPrimary) {
        await superviseWorkers(config);
        result.exitCode = ExitCode.ok;
        return;
      }
      let node: Awaited<ReturnType<typeof createNode>>;
      try {
        node = await createNode(config);
      } catch (error) {
        const problem = dataDirectoryProblem(error, config.dataDir);
        if (problem === undefined) throw error;
        process.stderr.write(`coursefed serve: ${problem}\n`);
        result.exitCode = ExitCode.invalidInput;
        return;
      }
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(node);
      } catch (error) {
        await node.close();
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "EADDRINUSE" && code !== "EACCES" && code !== "EADDRNOTAVAIL") throw error;
        const { host, port } = config.listen;
        const why =
          code === "EADDRINUSE"
            ? "the port is in use"
            : code === "EACCES"
              ? "permission denied"
              : "no such address here";
        process.stderr.write(
          `coursefed serve: cannot listen on ${host}:${port}: ${why}; choose another with --listen.\n`,
        );
        result.exitCode = ExitCode.invalidInput;
        return;
      }
      const { handle } = node.institution;
      if (cluster.isWorker) {
        process.stdout.write(`node process ${process.pid} serving\n`);
      } else {
        process.stdout.write(
          `coursefed node running: ${config.publicUrl.href} (listening on ${server.address.host}:${server.address.port})\n` +
            `institution actor: @${handle}@${config.publicUrl.host}  data: ${config.dataDir}\n`,
        );
        printFirstStartSecrets(config, node);
      }
      // Kept listening: Ctrl-C reaches every process of the group, and the primary then
      // asks its workers to stop as well; a second signal must not cut the shutdown short.
      await new Promise<void>((resolve) => {
        // SIGHUP too: a closed terminal or a supervisor should not cut requests off.
        for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
          process.on(signal, () => resolve());
        }
      });
      await server.close({ drainMs: REQUESTS_DRAIN_MS });
      await node.close();
      // A worker's channel to the primary would keep it alive after everything closed.
      cluster.worker?.disconnect();
      result.exitCode = ExitCode.ok;
    });
}

/**
 * The primary of several node processes: makes what the first start makes (once, so that
 * processes starting together do not each make an admin token), then runs the workers
 * and answers their requests for the cluster's metrics.
 */
async function superviseWorkers(config: ReturnType<typeof resolveConfig>): Promise<void> {
  const [{ openDatabase }, { initializeNode }, { serveClusterMetrics }, { runWorkerProcesses }] =
    await Promise.all([
      import("../../db/open-database.ts"),
      import("../../node.ts"),
      import("../../observability/metrics.ts"),
      import("../../cluster/worker-processes.ts"),
    ]);
  const db = await openDatabase(config.database);
  let firstStart: Awaited<ReturnType<typeof initializeNode>>;
  try {
    firstStart = await initializeNode(db, config);
  } finally {
    await db.close();
  }
  const { host, port } = config.listen;
  process.stdout.write(
    `coursefed node running: ${config.publicUrl.href} (${config.workers} processes listening on ${host}:${port})\n` +
      `institution actor: @${firstStart.institution.handle}@${config.publicUrl.host}  data: ${config.dataDir}  database: ${db.location}\n`,
  );
  printFirstStartSecrets(config, firstStart);
  serveClusterMetrics();
  await runWorkerProcesses({
    count: config.workers,
    onUnexpectedExit: (worker, code, replaced) =>
      process.stderr.write(
        `coursefed serve: node process ${worker.process.pid} exited (code ${code ?? "signal"})${replaced ? "; starting another" : ""}\n`,
      ),
  });
}

function printFirstStartSecrets(
  config: ReturnType<typeof resolveConfig>,
  secrets: { initialAdminToken: string | undefined; initialAdminPassword: string | undefined },
): void {
  if (secrets.initialAdminToken) {
    // The commands go to DEFAULT_NODE unless told: a node elsewhere would answer that
    // the token is not valid, which says nothing of the address.
    const node =
      config.publicUrl.href === DEFAULT_NODE ? "" : ` and COURSEFED_NODE=${config.publicUrl.href}`;
    process.stdout.write(
      `\nAdmin API token (shown this once, keep it safe):\n  ${secrets.initialAdminToken}\n` +
        `Use it as COURSEFED_TOKEN${node} with coursefed publish/follow/catalog, or as "Authorization: Bearer ...".\n`,
    );
  }
  if (secrets.initialAdminPassword) {
    const where = accountsOptions(config);
    process.stdout.write(
      `\nWeb interface: ${new URL("/login", config.publicUrl).href}\n` +
        `  username admin, password (shown this once): ${secrets.initialAdminPassword}\n` +
        `Reset it with coursefed accounts --reset-password admin${where}; add accounts with coursefed accounts --add${where}.\n`,
    );
  }
}

/**
 * What `coursefed accounts`, run from the same folder, needs to find this node: it
 * defaults to ./.coursefed and SQLite, as serve does. The database URL holds a password,
 * so it is named, not printed.
 */
function accountsOptions(config: ReturnType<typeof resolveConfig>): string {
  const dataDir =
    config.dataDir === resolve(DEFAULT_DATA_DIR) ? "" : ` --data-dir ${config.dataDir}`;
  const onSqlite = config.database === join(config.dataDir, "node.sqlite");
  return `${dataDir}${onSqlite ? "" : " (and serve's --database-url)"}`;
}
