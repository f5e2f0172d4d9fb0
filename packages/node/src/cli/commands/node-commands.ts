import { rename } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { formatBytes } from "@coursefed/mbz/byte-size";
import type { Command } from "commander";
import { ApiClientError, addNodeOptions } from "../api-client.ts";
import { type CommandResult, ExitCode } from "../exit-codes.ts";
import { nodeAction } from "../node-action.ts";
import { parseDuration, parsePositiveInteger, tagsOption } from "../option-parsers.ts";

/** How often `follow --wait` asks whether the other side answered. */
const FOLLOW_POLL_MS = 1000;

/**
 * Commands that work through a running node's API: publishing, following, approving
 * follow requests and searching the catalog.
 */
export function nodeCommands(program: Command, result: CommandResult): void {
  const run = nodeAction(result);

  addNodeOptions(
    program
      .command("publish")
      .summary("publish a backup as a course (or a new revision of one)")
      .description(
        "Upload a Moodle backup to the node and publish it: followers receive it (Create, or Update for --course). Without --title, a new course is named as in the backup (its full name); a new revision (--course) keeps its course's title, summary, tags, licence and visibility unless given. A backup holding personal data is refused with what was found, unless --sanitize. With --from-moodle, the node has a Moodle target back up one of its courses without user data and publishes that instead of a FILE; publishing the same Moodle course again makes a new revision, and a course restored from the catalog names its source.",
      )
      .argument("[file]", "the backup (.mbz); leave out with --from-moodle")
      .option(
        "--title <title>",
        "the course's title as others will see it (default: the course's name in the backup)",
      )
      .option("--summary <text>", "a short description")
      .option("--tag <tags...>", 'subjects, separated by commas: --tag "web programming, maths"')
      .option("--license <license>", "e.g. CC-BY-4.0")
      .option("--visibility <who>", "public, followers or private (default public)")
      .option(
        "--course <id>",
        "with FILE: publish as a new revision of this course; with --from-moodle: the course's id on the Moodle site",
      )
      .option(
        "--from-moodle <target>",
        "publish a course of this Moodle target (see `coursefed moodle list`)",
      )
      .option("--sanitize", "remove personal data instead of refusing the backup")
      .option("--json", "print the published course as JSON"),
  ).action(async (file: string | undefined, options) =>
    run(async (client) => {
      // What is left out the node takes from the backup, or from the course's last revision.
      const metadata = {
        ...(options.title ? { title: options.title } : {}),
        ...(options.summary ? { summary: options.summary } : {}),
        ...(options.tag ? { tags: tagsOption(options.tag) } : {}),
        ...(options.license ? { license: options.license } : {}),
        ...(options.visibility ? { visibility: options.visibility } : {}),
      };
      let published: { id: string; object: string; revision: number; sha256: string };
      if (options.fromMoodle) {
        const refusal =
          file !== undefined
            ? "Give either a backup FILE or --from-moodle, not both."
            : options.course === undefined
              ? "--from-moodle needs --course: the course's id on the Moodle site."
              : options.sanitize
                ? "--sanitize does not apply to --from-moodle: the site makes its backup without user data, and the node refuses it if personal data remains."
                : undefined;
        if (refusal) throw new ApiClientError(refusal, ExitCode.invalidInput);
        published = await client.json("POST", "courses/from-moodle", {
          target: options.fromMoodle,
          courseId: parseCourseId(options.course),
          ...metadata,
        });
      } else {
        if (file === undefined) {
          throw new ApiClientError(
            "Give the backup FILE to publish, or --from-moodle TARGET --course ID.",
            ExitCode.invalidInput,
          );
        }
        const { progressBar } = await import("../progress.ts");
        const progress = progressBar(!options.json);
        const uploaded = await client
          .upload<{ id: string }>("uploads", file, (sent, total) =>
            progress.update("upload", sent, total),
          )
          .finally(() => progress.stop());
        published = await client.json(
          "POST",
          options.course ? `courses/${encodeURIComponent(options.course)}/revisions` : "courses",
          { uploadId: uploaded.id, ...metadata, sanitize: Boolean(options.sanitize) },
        );
      }
      process.stdout.write(
        options.json
          ? `${JSON.stringify(published)}\n`
          : `Published revision ${published.revision} of course ${published.id}\n  ${published.object}\n  sha256 ${published.sha256}\n`,
      );
    })(options),
  );

  addNodeOptions(
    program
      .command("follow")
      .summary("follow an institution or teacher on another node")
      .description(
        "Sends a Follow to the actor (looked up by WebFinger for @user@host). A follow the node cannot send says why: the federation policy, a private address the node was not started to reach (--allow-private-addresses), a server that cannot be reached, or something that is not an actor. With --wait, waits for the other side's answer: exit 0 accepted, 2 refused (a Reject came back); still pending at --timeout, exit 0 saying so.",
      )
      .argument("<target>", "actor URL or @user@host")
      .option("--wait", "wait for the other side to accept or refuse")
      .option(
        "--timeout <duration>",
        "with --wait: how long, e.g. 30s, 10m",
        parseDuration,
        600_000,
      )
      .option("--json", "print the follow as JSON"),
  ).action(async (target: string, options) =>
    run(async (client) => {
      let following = await client.json<{ actor: string; state: string }>("POST", "follows", {
        target,
      });
      if (options.wait) {
        // A refusal comes back as the API's 409 rejected, which says who refused and what to do.
        const until = Date.now() + options.timeout;
        while (following.state === "pending" && Date.now() < until) {
          await sleep(FOLLOW_POLL_MS);
          following = await client.json<{ actor: string; state: string }>(
            "GET",
            `follows?${new URLSearchParams({ actor: following.actor })}`,
          );
        }
      }
      process.stdout.write(
        options.json
          ? `${JSON.stringify(following)}\n`
          : options.wait && following.state === "pending"
            ? `Follow sent to ${following.actor}: still waiting for its approval after ${Math.round(options.timeout / 1000)} s\n`
            : `Follow sent to ${following.actor}: ${following.state}\n`,
      );
    })(options),
  );

  addNodeOptions(
    program
      .command("boost")
      .summary("share a public course of the catalog with your own followers")
      .description(
        "Announce a course another node published to the followers of the token's actor (the institution, or a teacher): a school recommends a university's course to the schools that follow it. Their servers fetch it from its publisher and verify it there. Followers-only courses cannot be boosted.",
      )
      .argument("<object>", "the course's object id (URL), as `coursefed catalog` shows it"),
  ).action(async (object: string, options) =>
    run(async (client) => {
      const { announce } = await client.json<{ announce: string }>("POST", "catalog/boost", {
        object,
      });
      process.stdout.write(`Announced to your followers: ${announce}\n`);
    })(options),
  );

  addNodeOptions(
    program
      .command("follow-requests")
      .summary("list follow requests waiting for approval, or answer one")
      .description(
        "Requests to follow the token's actor: a teacher's token answers those to the teacher, an admin's those to the institution, or with --for those to any local actor. Until answered, a follower gets none of the actor's followers-only courses.",
      )
      .option("--accept <actor>", "accept the request of this actor URL")
      .option("--reject <actor>", "reject the request of this actor URL")
      .option("--for <handle>", "the local actor (e.g. a teacher) whose requests these are (admin)")
      .option("--json", "print the requests as JSON"),
  ).action(async (options) =>
    run(async (client) => {
      const decision = options.accept ? "accept" : options.reject ? "reject" : undefined;
      const whose = options.for ? `?${new URLSearchParams({ for: options.for })}` : "";
      if (decision) {
        const actor = options.accept ?? options.reject;
        await client.json("POST", `follow-requests/${decision}${whose}`, { actor });
        process.stdout.write(`${decision === "accept" ? "Accepted" : "Rejected"} ${actor}\n`);
        return;
      }
      const { items } = await client.json<{
        items: Array<{ actor: string; handle: string | null; requestedAt: string }>;
      }>("GET", `follow-requests${whose}`);
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) process.stdout.write("No follow requests are waiting.\n");
      else
        for (const item of items)
          process.stdout.write(`${item.actor}  ${item.handle ?? ""}  ${item.requestedAt}\n`);
    })(options),
  );

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
      .option("--limit <n>", "how many", "50")
      .option("--offset <n>", "skip this many (paging)", "0")
      .option("--json", "print the API's JSON"),
  ).action(async (options) =>
    run(async (client) => {
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
        return;
      }
      const query = new URLSearchParams({ limit: options.limit, offset: options.offset });
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
        items: CatalogItem[];
        emptyReason?: { code: string; message: string; filters?: string[] };
      }>("GET", `catalog?${query}`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(found)}\n`);
        return;
      }
      process.stdout.write(`${found.total} course${found.total === 1 ? "" : "s"}\n`);
      for (const item of found.items) process.stdout.write(describeCatalogItem(item));
      if (found.emptyReason) process.stdout.write(`${emptyCatalogText(found.emptyReason)}\n`);
    })(options),
  );

  addNodeOptions(
    program
      .command("fetch")
      .summary("download a catalog course's archive, verified by its signed digest")
      .description(
        "Have the node fetch the archive of a course in its catalog (checked against the sha256 in the publisher's signed manifest), then download it to --out. An interrupted download resumes when run again.",
      )
      .argument("<object>", "the course's object id (URL), as `coursefed catalog` shows it")
      .requiredOption("--out <file>", "where to write the .mbz")
      .option(
        "--revision <n>",
        "an older revision (see `coursefed catalog --object`)",
        parsePositiveInteger,
      ),
  ).action(async (object: string, options) =>
    run(async (client) => {
      const { sha256, size } = await client.json<{ sha256: string; size: number }>(
        "POST",
        "catalog/fetch",
        { object, revision: options.revision },
      );
      const [{ BlobDigestError }, { DownloadError, downloadResumably }, { progressBar }] =
        await Promise.all([
          import("../../blobs/blob-store.ts"),
          import("../../blobs/resumable-download.ts"),
          import("../progress.ts"),
        ]);
      const { url, headers } = client.endpoint(`archives/${sha256}`);
      const partial = `${options.out}.part`;
      const progress = progressBar(true);
      try {
        await downloadResumably(url, partial, sha256, {
          headers,
          onProgress: (done, total) => progress.update("download", done, total ?? size),
        });
      } catch (error) {
        if (error instanceof DownloadError || error instanceof BlobDigestError) {
          throw new ApiClientError(error.message, ExitCode.unavailable);
        }
        throw error;
      } finally {
        progress.stop();
      }
      await rename(partial, options.out);
      process.stdout.write(
        `Wrote ${options.out} (${formatBytes(size)}, sha256 ${sha256}, verified)\n`,
      );
    })(options),
  );

  addNodeOptions(
    program
      .command("teachers")
      .summary("list teacher accounts, or create one with --add (admin)")
      .description(
        "Teachers publish and follow as themselves (a Person actor, @handle@host); the institution announces their courses to its followers. --add prints the new teacher's API token once.",
      )
      .option("--add <handle>", "create a teacher account with this handle")
      .option("--name <name>", "the teacher's display name (with --add)")
      .option("--json", "print JSON"),
  ).action(async (options) =>
    run(async (client) => {
      if (options.add) {
        const created = await client.json<{ actor: string; handle: string; token: string }>(
          "POST",
          "teachers",
          {
            handle: options.add,
            name: options.name ?? options.add,
          },
        );
        process.stdout.write(
          options.json
            ? `${JSON.stringify(created)}\n`
            : `Created ${created.actor}\nAPI token for ${created.handle} (shown this once):\n  ${created.token}\n`,
        );
        return;
      }
      const { items } = await client.json<{
        items: Array<{ actor: string; handle: string; name: string }>;
      }>("GET", "teachers");
      if (options.json) process.stdout.write(`${JSON.stringify(items)}\n`);
      else if (items.length === 0) process.stdout.write("No teacher accounts yet.\n");
      else
        for (const item of items)
          process.stdout.write(`@${item.handle}  ${item.name}  ${item.actor}\n`);
    })(options),
  );

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

/** A Moodle course id given to --course, as a usage error when it is not one. */
function parseCourseId(text: string): number {
  try {
    return parsePositiveInteger(text);
  } catch (error) {
    throw new ApiClientError(`--course: ${(error as Error).message}`, ExitCode.invalidInput);
  }
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
