import type { BackupDiff } from "@coursefed/mbz";
import { formatBytes } from "@coursefed/mbz/byte-size";
import type { Command } from "commander";
import { type ApiClient, ApiClientError, addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { parseRevisionRange } from "../option-parsers.ts";

/** `coursefed catalog`: search the courses this node has received. */
export function catalogCommand(program: Command, result: CommandResult): void {
  const run = nodeAction(result);
  addNodeOptions(
    program
      .command("catalog")
      .summary("search the courses this node has received")
      .description(
        "Search the catalog of courses received from the actors this node follows; every filter given must hold. With --object, show one course and every revision received.",
      )
      .option("--query <words>", "words to find in titles, summaries and tags")
      .option("--tag <tag>", "only courses with this tag")
      .option("--actor <url>", "only courses from this actor")
      .option(
        "--teacher <name>",
        "only courses of a teacher whose handle or name holds this, e.g. marie or marie@univ.example",
      )
      .option("--institution <host>", "only courses from this server, e.g. courses.univ.example")
      .option("--language <code>", "only courses in this language, e.g. fr")
      .option("--moodle <branch>", "only backups made on this Moodle branch or older, e.g. 4.1")
      .option("--plugin <component>", "only courses that need this plugin, e.g. qtype_stack")
      .option("--without-plugins", "only courses a standard Moodle restores whole")
      .option(
        "--restorable",
        "only courses one of the node's probed Moodle targets can restore faithfully",
      )
      .option("--object <url>", "show this course with its revisions instead of searching")
      .option(
        "--changes <from..to>",
        "with --object: what changed between two revisions (e.g. 1..2; 2 alone is 1..2), from their archives (docs/diff-json.md for --json)",
        parseRevisionRange,
      )
      .option("--limit <n>", "how many", "50")
      .option("--offset <n>", "skip this many (paging)", "0")
      .option(
        "--cursor <cursor>",
        "the page after the one that printed this cursor (faster than --offset on large catalogs)",
      )
      .option("--json", "print the API's JSON"),
  ).action(async (options) =>
    run(async (client) => {
      if (options.changes && !options.object) {
        throw new ApiClientError(
          "--changes needs --object URL: the course whose revisions to compare.",
          ExitCode.invalidInput,
        );
      }
      if (options.object && options.changes) {
        await printChanges(client, options.object, options.changes, options.json === true);
        return;
      }
      if (options.object) {
        const course = await client.json<
          CatalogItem & {
            withdrawn: boolean;
            revisions: Array<{
              revision: number;
              sha256: string;
              size: number;
              publishedAt: string;
            }>;
            lineage: Array<{
              object: string;
              revision: number;
              title: string | null;
              authors: string[];
              institution: string | null;
              license: string | null;
              known: string;
            }>;
          }
        >("GET", `catalog/course?${new URLSearchParams({ object: options.object })}`);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(course)}\n`);
          return;
        }
        process.stdout.write(describeCatalogItem(course));
        if (course.withdrawn) process.stdout.write("  withdrawn by its publisher\n");
        for (const revision of course.revisions) {
          process.stdout.write(
            `  revision ${revision.revision}  ${revision.publishedAt}  ${formatBytes(revision.size)}  sha256 ${revision.sha256}\n`,
          );
        }
        // Its lineage, the source first: each ancestor's authors and licence, or unknown.
        for (const ancestor of course.lineage ?? []) {
          const by = [...ancestor.authors, ancestor.institution ?? ""]
            .filter((name, index, names) => name && names.indexOf(name) === index)
            .join(", ");
          process.stdout.write(
            ancestor.known === "unknown"
              ? `  adapted from ${ancestor.object} (revision ${ancestor.revision}): not known here\n`
              : `  adapted from "${ancestor.title}" (revision ${ancestor.revision})${by ? ` by ${by}` : ""}, licence ${ancestor.license ?? "not stated"}${ancestor.known === "credited" ? " (as its descendant credits it)" : ""}\n    ${ancestor.object}\n`,
          );
        }
        return;
      }
      const query = new URLSearchParams({ limit: options.limit, offset: options.offset });
      if (options.cursor) query.set("cursor", options.cursor);
      const filters = {
        q: options.query,
        tag: options.tag,
        actor: options.actor,
        teacher: options.teacher,
        institution: options.institution,
        language: options.language,
        moodle: options.moodle,
        plugin: options.plugin,
        withoutPlugins: options.withoutPlugins ? "true" : undefined,
        restorable: options.restorable ? "true" : undefined,
      };
      for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
      const found = await client.json<{
        total: number;
        totalExact: boolean;
        totalBound?: "exact" | "moreThan" | "atLeast";
        nextCursor?: string;
        items: CatalogItem[];
        emptyReason?: { code: string; message: string; filters?: string[] };
      }>("GET", `catalog?${query}`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(found)}\n`);
        return;
      }
      // A large catalog counts its matches up to a limit (or a budget), and says so.
      const total = found.totalExact
        ? `${found.total}`
        : `${found.totalBound === "atLeast" ? "at least" : "more than"} ${found.total}`;
      process.stdout.write(`${total} course${found.total === 1 ? "" : "s"}\n`);
      for (const item of found.items) process.stdout.write(describeCatalogItem(item));
      if (found.nextCursor) process.stdout.write(`next page: --cursor ${found.nextCursor}\n`);
      if (found.emptyReason) process.stdout.write(`${emptyCatalogText(found.emptyReason)}\n`);
    })(options),
  );
}

/** `--changes`: the node works the diff out from both archives, fetching them if need be. */
async function printChanges(
  client: ApiClient,
  object: string,
  range: { from: number; to: number },
  json: boolean,
): Promise<void> {
  const query = new URLSearchParams({
    object,
    from: String(range.from),
    to: String(range.to),
  });
  const changes = await client.json<{ from: number; to: number; diff: BackupDiff }>(
    "GET",
    `catalog/changes?${query}`,
  );
  if (json) {
    process.stdout.write(`${JSON.stringify(changes)}\n`);
    return;
  }
  const { diffText } = await import("@coursefed/mbz");
  process.stdout.write(
    `Revision ${changes.from} → ${changes.to} of ${object}\n${diffText(changes.diff)}\n`,
  );
}

interface CatalogPublisher {
  actor: string | null;
  name: string | null;
  handle: string | null;
}

interface CatalogItem {
  title: string;
  object: string;
  actor: string;
  summary: string | null;
  tags: string[];
  revision: number;
  size: number;
  moodleRelease?: string;
  languages: string[];
  requiredPlugins: string[];
  author: CatalogPublisher | null;
  institution: CatalogPublisher & { host: string };
}

/** How long a summary's line may be: the listing keeps one line per fact. */
const SUMMARY_LINE = 100;

function describeCatalogItem(item: CatalogItem): string {
  const needs = item.requiredPlugins.length > 0 ? `, needs ${item.requiredPlugins.join(" ")}` : "";
  const languages = item.languages.length > 0 ? `, ${item.languages.join(" ")}` : "";
  const lines = [
    `- ${item.title} (revision ${item.revision}, ${formatBytes(item.size)}, Moodle ${item.moodleRelease ?? "?"}${languages}${needs})`,
    `  by ${publisherText(item)}`,
  ];
  const summary = summaryLine(item.summary);
  if (summary) lines.push(`  ${summary}`);
  if (item.tags.length > 0) lines.push(`  ${item.tags.map((tag) => `#${tag}`).join(" ")}`);
  lines.push(`  ${item.object}`);
  return `${lines.join("\n")}\n`;
}

/** "Ada Lovelace (@ada@univ.example), Université Exemple": names first, handles beside. */
function publisherText(item: CatalogItem): string {
  const { author, institution } = item;
  const institutionText = institution.name
    ? `${institution.name} (${institution.host})`
    : institution.host;
  if (author && author.actor === institution.actor) return institutionText;
  const handle = author?.handle ? `@${author.handle}` : undefined;
  const authorText = author?.name
    ? `${author.name}${handle ? ` (${handle})` : ""}`
    : (handle ?? item.actor);
  return `${authorText}, ${institutionText}`;
}

/** The summary (sanitized HTML) as one line of text, cut at a word. */
function summaryLine(summary: string | null): string {
  const text = (summary ?? "")
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
  if (text.length <= SUMMARY_LINE) return text;
  const cut = text.slice(0, SUMMARY_LINE - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > SUMMARY_LINE / 2 ? cut.slice(0, space) : cut}…`;
}

/** The API's criteria named as this command's options. */
const CATALOG_OPTIONS: Readonly<Record<string, string>> = {
  q: "--query",
  actor: "--actor",
  teacher: "--teacher",
  institution: "--institution",
  tag: "--tag",
  language: "--language",
  moodle: "--moodle",
  plugin: "--plugin",
  withoutPlugins: "--without-plugins",
  restorable: "--restorable",
};

function emptyCatalogText(reason: { code: string; message: string; filters?: string[] }): string {
  switch (reason.code) {
    case "no_probed_target":
      return "No Moodle target has been probed yet, so no course can be judged restorable: run coursefed moodle probe NAME (admin), or search without --restorable.";
    case "filtered":
      return `Nothing matches every option given (${(reason.filters ?? []).map((name) => CATALOG_OPTIONS[name] ?? name).join(", ")}), though the catalog has courses: drop some of them.`;
    case "catalog_empty":
      return "The catalog is empty: this node has received no course yet. Follow an institution or a teacher: coursefed follow @handle@host.";
    default:
      return reason.message;
  }
}
