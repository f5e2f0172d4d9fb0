import { formatBytes } from "@coursefed/mbz/byte-size";
import type { Command } from "commander";
import { ApiClientError, addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";

interface NetworkResult {
  object: string;
  title: string;
  node: string;
  hop: 1 | 2;
  institution: { actor: string; name: string | null; handle: string | null };
  teacher: { actor: string; name: string | null; handle: string | null } | null;
  tags: string[];
  languages: string[];
  moodleBranch: string | null;
  requiredPlugins: string[];
  revision: number;
  size: number;
  updated: string;
  license: string | null;
  inCatalog: { revision: number } | null;
  publisherFollowed: boolean;
}

interface NetworkSearchResult {
  items: NetworkResult[];
  answered: string[];
  late: string[];
  failed: Array<{ node: string; reason: string }>;
  budgetMs: number;
  oneHop: boolean;
  tookMs: number;
}

/** `coursefed search-network`: search the courses of the nodes this node follows. */
export function searchNetworkCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("search-network")
      .summary("search the courses of the nodes this node follows, not only its catalog")
      .description(
        "Ask the nodes this node follows (and, if an admin turned it on, the nodes they follow) for their courses matching the filters, within a time budget; the answers are merged, best match first, each marked as in the catalog or not yet. Nothing enters the catalog by searching: --add brings a result in (its publisher must be followed: coursefed follow ACTOR first), after which coursefed fetch and coursefed restore work on it. --one-hop on|off sets whether searches go one hop further (admin). See docs/network-search.md.",
      )
      .option("--query <words>", "words to find in titles, summaries and tags")
      .option("--tag <tag>", "only courses with this tag")
      .option("--institution <host>", "only courses from this server, e.g. courses.univ.example")
      .option(
        "--teacher <name>",
        "only courses of a teacher whose handle or name holds this, e.g. marie",
      )
      .option("--language <code>", "only courses in this language, e.g. fr")
      .option("--moodle <branch>", "only backups made on this Moodle branch or older, e.g. 4.1")
      .option("--plugin <component>", "only courses that need this plugin, e.g. qtype_stack")
      .option("--without-plugins", "only courses a standard Moodle restores whole")
      .option("--budget <ms>", "how long to wait for the nodes, in milliseconds", "1500")
      .option("--limit <n>", "how many results at most", "50")
      .option(
        "--add <object>",
        "bring this result (its object URL) into the catalog instead of searching",
      )
      .option(
        "--one-hop <on|off>",
        "turn the search one hop further on or off for everyone (admin)",
      )
      .option("--json", "print the API's JSON"),
  ).action(async (options) =>
    run(async (client) => {
      if (options.add) {
        const kept = await client.json<{ object: string; revision: number; alreadyHeld: boolean }>(
          "POST",
          "network-search/catalog",
          { object: options.add },
        );
        if (options.json) {
          process.stdout.write(`${JSON.stringify(kept)}\n`);
          return;
        }
        process.stdout.write(
          kept.alreadyHeld
            ? `Already in the catalog (revision ${kept.revision}): ${kept.object}\n`
            : `In the catalog now (revision ${kept.revision}): ${kept.object}\nRestore it with coursefed restore ${kept.object} --target TARGET.\n`,
        );
        return;
      }
      if (options.oneHop !== undefined) {
        if (options.oneHop !== "on" && options.oneHop !== "off") {
          throw new ApiClientError(
            `--one-hop takes on or off, not "${options.oneHop}".`,
            ExitCode.invalidInput,
          );
        }
        const changed = await client.json<{ oneHop: boolean }>("PUT", "settings/network-search", {
          oneHop: options.oneHop === "on",
        });
        process.stdout.write(
          `Network searches ${changed.oneHop ? "now go one hop further" : "now ask only the nodes this node follows"}.\n`,
        );
        return;
      }
      const query = new URLSearchParams({ budget: options.budget, limit: options.limit });
      const filters = {
        q: options.query,
        tag: options.tag,
        institution: options.institution,
        teacher: options.teacher,
        language: options.language,
        moodle: options.moodle,
        plugin: options.plugin,
        withoutPlugins: options.withoutPlugins ? "true" : undefined,
      };
      for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
      const found = await client.json<NetworkSearchResult>("GET", `network-search?${query}`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(found)}\n`);
        return;
      }
      process.stdout.write(networkSearchText(found));
    })(options),
  );
}

/** The results as lines for people: each course, where it is, and what can be done with it. */
function networkSearchText(found: NetworkSearchResult): string {
  const lines = [
    `${found.items.length} course${found.items.length === 1 ? "" : "s"} from ${found.answered.length} node${found.answered.length === 1 ? "" : "s"} (${found.tookMs} ms${found.oneHop ? ", one hop further included" : ""})`,
  ];
  for (const item of found.items) {
    const by = item.teacher
      ? `${item.teacher.name ?? item.teacher.handle}, ${item.institution.name ?? item.node}`
      : (item.institution.name ?? item.node);
    const facts = [
      `revision ${item.revision}`,
      formatBytes(item.size),
      `Moodle ${item.moodleBranch ?? "?"}`,
      ...item.languages,
      ...(item.requiredPlugins.length > 0 ? [`needs ${item.requiredPlugins.join(" ")}`] : []),
      ...(item.license ? [item.license] : []),
    ];
    const mark = item.inCatalog
      ? `in the catalog (revision ${item.inCatalog.revision})`
      : item.publisherFollowed
        ? `not in the catalog yet: coursefed search-network --add ${item.object}`
        : `not in the catalog; its publisher is not followed: coursefed follow ${item.teacher?.actor ?? item.institution.actor}`;
    lines.push(`- ${item.title} (${facts.join(", ")})`);
    lines.push(`  by ${by}${item.hop === 2 ? " (one hop further)" : ""}`);
    if (item.tags.length > 0) lines.push(`  ${item.tags.map((tag) => `#${tag}`).join(" ")}`);
    lines.push(`  ${mark}`);
    lines.push(`  ${item.object}`);
  }
  if (found.late.length > 0) {
    lines.push(
      `${found.late.length} node${found.late.length === 1 ? "" : "s"} did not answer in time (${found.budgetMs} ms): ${found.late.join(", ")}; --budget waits longer.`,
    );
  }
  for (const failure of found.failed) lines.push(`${failure.node} failed: ${failure.reason}`);
  return `${lines.join("\n")}\n`;
}
