/**
 * The two trees the before/after harness measures: git worktrees of the repository at
 * two commits, outside it, each with its own `npm ci`, kept between runs (a worktree
 * already there is moved to the commit asked for, and installed again only when its
 * package-lock.json changed).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";

/** A tree at one commit, ready to run its benchmarks. */
export interface BenchTree {
  /** "before" or "after". */
  readonly side: string;
  readonly directory: string;
  readonly commit: string;
  readonly shortCommit: string;
  /** The commit's date (UTC) and subject, for the table's header. */
  readonly date: string;
  readonly subject: string;
  /** Its own Node (the `node` package the project pins), which its benchmarks run on. */
  readonly node: string;
}

/** What the harness cannot work with, said so that whoever runs it knows what to do. */
export class BenchTreeError extends Error {
  override readonly name = "BenchTreeError";
}

function git(repository: string, args: readonly string[]): string {
  // Dates in UTC, as the table's times.
  const result = spawnSync("git", ["-C", repository, ...args], {
    encoding: "utf8",
    env: { ...process.env, TZ: "UTC" },
  });
  if (result.status !== 0) {
    throw new BenchTreeError(
      `git ${args.join(" ")} failed in ${repository}: ${result.stderr.trim() || result.status}`,
    );
  }
  return result.stdout.trim();
}

/** The full commit `revision` names in `repository`, or a BenchTreeError saying it does not. */
export function resolveCommit(repository: string, revision: string): string {
  const result = spawnSync(
    "git",
    ["-C", repository, "rev-parse", "--verify", `${revision}^{commit}`],
    {
      encoding: "utf8",
    },
  );
  if (result.status !== 0) {
    throw new BenchTreeError(
      `"${revision}" is not a commit of ${repository}: give a commit or branch (git log --oneline shows them).`,
    );
  }
  return result.stdout.trim();
}

const LOCK_MARK = ".before-after-package-lock";

function lockDigest(directory: string): string {
  return createHash("sha256")
    .update(readFileSync(join(directory, "package-lock.json")))
    .digest("hex");
}

/**
 * A worktree of `repository` at `commit` in `directory`, made or moved there, with its
 * dependencies installed. Refuses a directory inside the repository, and a directory that
 * is something other than one of the repository's worktrees: it is changed at will.
 */
export function prepareTree(
  repository: string,
  side: string,
  commit: string,
  directory: string,
  log: (text: string) => void,
): BenchTree {
  const root = realpathSync(repository);
  const target = resolve(directory);
  if (!relative(root, target).startsWith("..")) {
    throw new BenchTreeError(
      `The ${side} tree ${target} would be inside the repository ${root}: give a directory outside it (--${side}-dir).`,
    );
  }
  if (existsSync(target)) {
    const known = git(root, ["worktree", "list", "--porcelain"])
      .split("\n")
      .filter((line) => line.startsWith("worktree "))
      .map((line) => line.slice("worktree ".length));
    if (!known.includes(realpathSync(target))) {
      throw new BenchTreeError(
        `${target} exists and is not a worktree of ${root}: remove it or give another directory (--${side}-dir).`,
      );
    }
    if (git(target, ["rev-parse", "HEAD"]) !== commit) {
      log(`moving the ${side} tree ${target} to ${commit.slice(0, 7)}`);
      // Only this harness works in its worktrees: what it copied in for a run goes too.
      git(target, ["clean", "-fdq", "--", "test"]);
      git(target, ["checkout", "--quiet", "--force", "--detach", commit]);
    }
  } else {
    mkdirSync(dirname(target), { recursive: true });
    // A worktree whose folder was deleted (a cleaned /tmp) is still registered until pruned.
    git(root, ["worktree", "prune"]);
    log(`making the ${side} tree: git worktree add ${target} ${commit.slice(0, 7)}`);
    git(root, ["worktree", "add", "--quiet", "--detach", target, commit]);
  }
  const mark = join(target, "node_modules", LOCK_MARK);
  const digest = lockDigest(target);
  if (!existsSync(mark) || readFileSync(mark, "utf8") !== digest) {
    log(`installing the ${side} tree's dependencies (npm ci in ${target})`);
    const started = performance.now();
    try {
      execFileSync("nice", ["-n", "10", "npm", "ci", "--no-audit", "--no-fund"], {
        cwd: target,
        stdio: ["ignore", "ignore", "pipe"],
        encoding: "utf8",
      });
    } catch (error) {
      throw new BenchTreeError(
        `npm ci failed in ${target} (${(error as { stderr?: string }).stderr?.trim().split("\n").at(-1) ?? (error as Error).message}): the registry must be reachable the first time a tree is made or its package-lock.json changes.`,
      );
    }
    writeFileSync(mark, digest);
    log(`  installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const node = join(target, "node_modules", ".bin", "node");
  if (!existsSync(node)) {
    throw new BenchTreeError(
      `${node} is missing: the ${side} tree's npm ci did not install the project's Node.`,
    );
  }
  const [date = "", subject = ""] = git(target, [
    "show",
    "--no-patch",
    "--date=format-local:%Y-%m-%d %H:%M UTC",
    "--format=%ad%x00%s",
    commit,
  ]).split("\0");
  return {
    side,
    directory: target,
    commit,
    shortCommit: commit.slice(0, 7),
    date,
    subject,
    node,
  };
}

/**
 * The path, in `tree`, of the benchmark `files` as they are at `fromCommit` (the first is
 * the one to run; the others, files it reads beside it). The tree's own files when they
 * are the same; otherwise copied in beside the tree's own files, so that their relative
 * imports reach the tree's code: under the same name where the tree has none, the first
 * under a name of its own where only it differs, and all of them in a folder of their own
 * at the same depth (`downloads-from-<commit>/`) where a companion differs, so that they
 * read each other as they are at `fromCommit`.
 */
export function placeBenchFiles(
  repository: string,
  tree: BenchTree,
  fromCommit: string,
  files: readonly string[],
): string {
  const short = fromCommit.slice(0, 7);
  const wanted = files.map((file) => git(repository, ["show", `${fromCommit}:${file}`]));
  const own = files.map((file) => join(tree.directory, file));
  const ownTexts = own.map((path) =>
    existsSync(path) ? readFileSync(path, "utf8").trim() : undefined,
  );
  const differs = (index: number) =>
    ownTexts[index] !== undefined && ownTexts[index] !== wanted[index];
  const companionDiffers = files.some((_, index) => index > 0 && differs(index));
  const placed = own.map((path, index) => {
    if (companionDiffers) {
      return join(
        dirname(dirname(path)),
        `${basename(dirname(path))}-from-${short}`,
        basename(path),
      );
    }
    return differs(index) ? path.replace(/\.ts$/, `.from-${short}.ts`) : path;
  });
  placed.forEach((path, index) => {
    if (path !== own[index] || ownTexts[index] !== wanted[index]) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${wanted[index]}\n`);
    }
  });
  return placed[0] as string;
}
