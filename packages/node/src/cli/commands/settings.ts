import type { Command } from "commander";
import { addNodeOptions } from "../api-client.ts";
import type { CommandResult } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";

interface Logo {
  url: string | null;
  mediaType: string | null;
  sha256: string | null;
  size: number | null;
}

function logoText(logo: Logo): string {
  return logo.url
    ? `The institution's logo: ${logo.url} (${logo.mediaType}, ${logo.size} bytes).\n`
    : "The institution has no logo.\n";
}

/** `coursefed settings`: node settings an admin changes while it runs. */
export function settingsCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  const settings = program
    .command("settings")
    .summary("settings an admin changes while the node runs (admin)")
    .description(
      "Settings an admin changes on a running node, as in the web console's Settings page. The federation policy is on PUT /api/v1/settings/federation (see docs/node.md).",
    );
  addNodeOptions(
    settings
      .command("logo")
      .argument("[file]", "a PNG, JPEG or WebP image of at most 512 KiB (SVG is refused)")
      .summary("show, set or remove the institution's logo")
      .description(
        "The institution's logo is its actor's icon: Mastodon, Misskey and the other servers that show the institution display it as its avatar once they fetch its actor again. Without FILE, shows the logo in force. The image is checked by its content, not its name.",
      )
      .option("--remove", "remove the logo")
      .option("--json", "print JSON"),
  ).action(async (file: string | undefined, options) =>
    run(async (client) => {
      const logo =
        file !== undefined
          ? await client.upload<Logo>("settings/logo", file, undefined, "PUT")
          : options.remove
            ? await client.json<Logo>("DELETE", "settings/logo")
            : await client.json<Logo>("GET", "settings/logo");
      process.stdout.write(options.json ? `${JSON.stringify(logo)}\n` : logoText(logo));
    })(options),
  );
}
