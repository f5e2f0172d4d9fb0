import type { Command } from "commander";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";

/** `coursefed peers`: delivery state per peer server (admin). */
export function peersCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("peers")
      .summary("delivery state per peer server (admin)")
      .description(
        "How deliveries to each peer server went: ok, retrying (recent failures; Fedify retries with backoff for days), failing (5+ failures in a row: held back for a while) or blocked by the federation policy.",
      )
      .option("--json", "print JSON"),
  ).action(async (options) =>
    run(async (client) => {
      const { items } = await client.json<{
        items: Array<{
          host: string;
          state: string;
          deliveries: number;
          failures: number;
          lastError: string | null;
        }>;
      }>("GET", "peers");
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) process.stdout.write("Nothing delivered to any peer yet.\n");
      else {
        for (const peer of items) {
          const error =
            peer.state === "ok" || !peer.lastError ? "" : `  last error: ${peer.lastError}`;
          process.stdout.write(
            `${peer.host}  ${peer.state}  ${peer.deliveries} delivered, ${peer.failures} failed${error}\n`,
          );
        }
      }
    })(options),
  );
}
