import { existsSync } from "node:fs";
import type { Command } from "commander";
import { CONFIG_FILE_ENVIRONMENT, readConfigFile, resolveConfig } from "../../config.ts";
import { ConfigError } from "../../config-error.ts";
import { CONFIG_ENVIRONMENT } from "../../config-names.ts";
import { isDatabaseUrl } from "../../db/database.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";

/** Moves a node's data between database engines; the archives (blobs) stay where they are. */
export function migrateCommand(program: Command, result: CommandResult): void {
  const migrate = program
    .command("migrate")
    .summary("move a node's data to another database engine")
    .description(
      "Moves a node's data to another database engine, on the node's host with the node stopped. The one move so far: sqlite-to-postgres (docs/database.md).",
    );
  migrate
    .command("sqlite-to-postgres")
    .summary("copy a node's SQLite database into an empty PostgreSQL database")
    .description(
      "Copies every table of the node's SQLite database into a new, empty PostgreSQL database, in one transaction, and checks each table by row count and by a digest of its rows read back: either everything is moved and checked, or nothing is written. Stop the node first. The archives stay in the data directory; afterwards start the node with --database-url (DATABASE_URL) and the same --data-dir. The SQLite file is left as it was, as a fallback.",
    )
    .option("--config <file>", `JSON configuration file [${CONFIG_FILE_ENVIRONMENT}]`)
    .option(
      "--data-dir <dir>",
      `the node's data, where node.sqlite is [${CONFIG_ENVIRONMENT.dataDir}] (default ./.coursefed)`,
    )
    .option("--from <file>", "the SQLite database (default DATA_DIR/node.sqlite)")
    .option(
      "--to <url>",
      `the PostgreSQL database, postgres://USER:PASSWORD@HOST:5432/DATABASE [${CONFIG_ENVIRONMENT.databaseUrl}]`,
    )
    .option("--json", "print JSON")
    .action(async (options) => {
      const fail = (message: string) => {
        process.stderr.write(`coursefed migrate sqlite-to-postgres: ${message}\n`);
        result.exitCode = ExitCode.invalidInput;
      };
      // Loaded only now: `migrate --help` needs no database driver.
      const [{ CopyError, copySqliteToPostgres }, { openDatabase }] = await Promise.all([
        import("../../db/copy-to-postgres.ts"),
        import("../../db/open-database.ts"),
      ]);
      let from: string;
      let to: string | undefined;
      try {
        const file = options.config ?? process.env[CONFIG_FILE_ENVIRONMENT];
        const config = resolveConfig(
          { dataDir: options.dataDir, databaseUrl: options.to },
          process.env,
          file ? readConfigFile(file) : {},
        );
        from = options.from ?? `${config.dataDir}/node.sqlite`;
        to = isDatabaseUrl(config.database) ? config.database : undefined;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return fail(error.message);
      }
      if (!to) {
        return fail(
          `say where to move to: --to postgres://USER:PASSWORD@HOST:5432/DATABASE (or ${CONFIG_ENVIRONMENT.databaseUrl}).`,
        );
      }
      if (!existsSync(from)) {
        return fail(`no SQLite database at ${from}; give --from or --data-dir.`);
      }
      const source = await openDatabase(from);
      let target: Awaited<ReturnType<typeof openDatabase>> | undefined;
      try {
        target = await openDatabase(to);
        const copies = await copySqliteToPostgres(source, target, (copy) => {
          if (!options.json) {
            process.stdout.write(
              `${copy.table.padEnd(22)} ${String(copy.rows).padStart(9)} rows  sha256 ${copy.digest.slice(0, 16)}\n`,
            );
          }
        });
        const rows = copies.reduce((total, copy) => total + copy.rows, 0);
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ from, to: target.location, tables: copies })}\n`
            : `Moved ${rows} rows in ${copies.length} tables to ${target.location}, each checked.\n` +
                `Start the node with --database-url (${CONFIG_ENVIRONMENT.databaseUrl}) and the same --data-dir.\n`,
        );
        result.exitCode = ExitCode.ok;
      } catch (error) {
        if (error instanceof CopyError) return fail(error.message);
        const code = (error as NodeJS.ErrnoException).code;
        if (
          code === "ECONNREFUSED" ||
          code === "ENOTFOUND" ||
          code === "28P01" ||
          code === "3D000"
        ) {
          process.stderr.write(
            `coursefed migrate sqlite-to-postgres: cannot use the PostgreSQL database: ${(error as Error).message}; check --to.\n`,
          );
          result.exitCode = ExitCode.unavailable;
          return;
        }
        throw error;
      } finally {
        await source.close();
        await target?.close();
      }
    });
}
