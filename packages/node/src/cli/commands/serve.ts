import type { Command } from "commander";
import {
  CONFIG_ENVIRONMENT,
  CONFIG_FILE_ENVIRONMENT,
  ConfigError,
  DEFAULT_LISTEN,
  readConfigFile,
  resolveConfig,
} from "../../config.ts";
import { createNode } from "../../node.ts";
import { startServer } from "../../server.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";

export function serveCommand(program: Command, result: CommandResult): void {
  program
    .command("serve")
    .summary("run this institution's node")
    .description(
      "Run the coursefed node: create the data directory on first start (SQLite database, keys), bring its schema up to date, and serve federation and the HTTP API until stopped (Ctrl-C or SIGTERM). Each option can also be set by the environment variable named after it, or in a JSON configuration file (--config) whose keys are the options in camelCase (dataDir, url, listen, handle, name, autoAccept, maxUpload, federation, domains, allowPrivateAddresses, firstKnock). Flags win over the environment, which wins over the file.",
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
      "--allow-private-addresses",
      `let peers live on private and loopback addresses, e.g. on an intranet [${CONFIG_ENVIRONMENT.allowPrivateAddresses}=1]`,
    )
    .option(
      "--first-knock <scheme>",
      `HTTP signature scheme tried first with a new server, rfc9421 or draft-cavage; the other is tried if refused [${CONFIG_ENVIRONMENT.firstKnock}] (default rfc9421)`,
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
      const node = await createNode(config);
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
      process.stdout.write(
        `coursefed node running: ${config.publicUrl.href} (listening on ${server.address.host}:${server.address.port})\n` +
          `institution actor: @${handle}@${config.publicUrl.host}  data: ${config.dataDir}\n`,
      );
      if (node.initialAdminToken) {
        process.stdout.write(
          `\nAdmin API token (shown this once, keep it safe):\n  ${node.initialAdminToken}\n` +
            `Use it as COURSEFED_TOKEN with coursefed publish/follow/catalog, or as "Authorization: Bearer ...".\n`,
        );
      }
      if (node.initialAdminPassword) {
        process.stdout.write(
          `\nWeb interface: ${new URL("/login", config.publicUrl).href}\n` +
            `  username admin, password (shown this once): ${node.initialAdminPassword}\n` +
            `Reset it with coursefed accounts --reset-password admin; add accounts with coursefed accounts --add.\n`,
        );
      }
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await server.close();
      await node.close();
      result.exitCode = ExitCode.ok;
    });
}
