import { existsSync } from "node:fs";
import type { Command } from "commander";
import {
  CONFIG_FILE_ENVIRONMENT,
  type NodeConfig,
  readConfigFile,
  resolveConfig,
} from "../../config.ts";
import { ConfigError } from "../../config-error.ts";
import { CONFIG_ENVIRONMENT } from "../../config-names.ts";
import { isDatabaseUrl } from "../../db/database.ts";
import { WEB_ROLES, type WebRole } from "../../vocabulary/account-roles.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";

/**
 * Web accounts are managed on the node's host, in its data directory, like `serve`: an
 * admin who lost the web password can still reset it, and no API token can make one.
 */
export function accountsCommand(program: Command, result: CommandResult): void {
  program
    .command("accounts")
    .summary(
      "list web accounts, add one (--add), reset a password, disable or enable one (on the node's host)",
    )
    .description(
      "Works on the node's data directory (the same --data-dir or --config as serve; the node may be running). Admins and viewers act as the institution; a teacher acts as the teacher actor of the same handle, created if needed. --add and --reset-password print a new random password once; resetting also signs the account out everywhere. --disable stops an account from signing in (by password or single sign-on) and signs it out everywhere at once, until --enable; the last admin who can sign in is never disabled. Accounts opened by single sign-on have no password to reset.",
    )
    .option("--config <file>", `JSON configuration file [${CONFIG_FILE_ENVIRONMENT}]`)
    .option(
      "--data-dir <dir>",
      `the node's data [${CONFIG_ENVIRONMENT.dataDir}] (default ./.coursefed)`,
    )
    .option(
      "--database-url <url>",
      `the node's PostgreSQL database, if not SQLite in the data directory [${CONFIG_ENVIRONMENT.databaseUrl}]`,
    )
    .option("--add <username>", "create an account")
    .option("--role <role>", `with --add: ${WEB_ROLES.join(", ")}`, "viewer")
    .option("--name <text>", "with --add: the display name (default the username)")
    .option("--reset-password <username>", "give the account a new random password")
    .option("--disable <username>", "stop the account from signing in; its sessions end")
    .option("--enable <username>", "let a disabled account sign in again")
    .option("--json", "print JSON")
    .action(async (options) => {
      let config: NodeConfig;
      try {
        const file = options.config ?? process.env[CONFIG_FILE_ENVIRONMENT];
        config = resolveConfig(options, process.env, file ? readConfigFile(file) : {});
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return fail(result, error.message);
      }
      // Loaded only now: `accounts --help` needs no database driver.
      const [
        { AccountRepository },
        { AccountError, createAccount, disableAccount, enableAccount, resetPassword },
        { LocalActorRepository },
        { openDatabase },
      ] = await Promise.all([
        import("../../accounts/account-repository.ts"),
        import("../../accounts/account-service.ts"),
        import("../../actors/local-actors.ts"),
        import("../../db/open-database.ts"),
      ]);
      // A PostgreSQL database is there once configured; a SQLite file only once served.
      if (!isDatabaseUrl(config.database) && !existsSync(config.database)) {
        return fail(
          result,
          `No node in ${config.dataDir}; start it once with coursefed serve, or give --data-dir.`,
        );
      }
      if (options.add && !(WEB_ROLES as readonly string[]).includes(options.role)) {
        return fail(result, `--role must be one of ${WEB_ROLES.join(", ")}.`);
      }
      const db = await openDatabase(config.database);
      try {
        const accounts = new AccountRepository(db);
        const print = (text: string, json: unknown) =>
          process.stdout.write(options.json ? `${JSON.stringify(json)}\n` : text);
        if (options.add) {
          const { account, password } = await createAccount(
            { actors: new LocalActorRepository(db), accounts },
            { username: options.add, role: options.role as WebRole, displayName: options.name },
          );
          print(
            `Created ${account.username} (${account.role}); password (shown this once):\n  ${password}\n`,
            { username: account.username, role: account.role, password },
          );
        } else if (options.resetPassword) {
          const password = await resetPassword(accounts, options.resetPassword);
          print(`New password for ${options.resetPassword} (shown this once):\n  ${password}\n`, {
            username: options.resetPassword,
            password,
          });
        } else if (options.disable) {
          await disableAccount(accounts, { username: options.disable });
          print(`Disabled ${options.disable}: it cannot sign in, and its sessions are ended.\n`, {
            username: options.disable,
            disabled: true,
          });
        } else if (options.enable) {
          await enableAccount(accounts, options.enable);
          print(`Enabled ${options.enable}: it can sign in again.\n`, {
            username: options.enable,
            disabled: false,
          });
        } else {
          const items = (await accounts.all()).map((account) => ({
            username: account.username,
            displayName: account.displayName,
            role: account.role,
            lastLoginAt:
              account.lastLoginAt === null ? null : new Date(account.lastLoginAt).toISOString(),
            disabled: account.disabledAt !== null,
            singleSignOn: account.oidcSubject !== null,
          }));
          print(
            items.length === 0
              ? "No web accounts.\n"
              : items
                  .map(
                    (a) =>
                      `${a.username}  ${a.role}  ${a.displayName}  last sign-in: ${a.lastLoginAt ?? "never"}${a.singleSignOn ? "  single sign-on" : ""}${a.disabled ? "  DISABLED" : ""}\n`,
                  )
                  .join(""),
            items,
          );
        }
        result.exitCode = ExitCode.ok;
      } catch (error) {
        if (!(error instanceof AccountError)) throw error;
        fail(result, error.message);
      } finally {
        await db.close();
      }
    });
}

function fail(result: CommandResult, message: string): void {
  process.stderr.write(`coursefed accounts: ${message}\n`);
  result.exitCode = ExitCode.invalidInput;
}
