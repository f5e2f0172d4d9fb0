import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { repositoryRoot } from "../support/shared-fixtures.ts";

/** Debian's Chromium (apt-get install chromium); CHROMIUM_PATH points elsewhere. A browser is never downloaded. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const artifactDirectory = join(repositoryRoot, "test", "artifacts");

/**
 * Whether a browser is here to drive. CI must have one: its absence there is an error,
 * not a reason to skip. On a user's machine the browser tests are skipped, saying why.
 */
export function haveChromium(): boolean {
  if (existsSync(chromiumPath)) return true;
  if (process.env.CI) {
    throw new Error(
      `Chromium is missing at ${chromiumPath}; CI must install it (apt-get install -y chromium).`,
    );
  }
  console.warn(
    `Skipping browser tests: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH).`,
  );
  return false;
}

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
  return await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: ReadonlyArray<{ readonly target: readonly unknown[] }>;
}

/**
 * The page's serious and critical accessibility violations, by axe-core. The pages
 * forbid scripts (CSP): the page's context must be made with bypassCSP for axe to run.
 */
export async function seriousAxeViolations(
  page: Page,
  except: readonly string[] = [],
): Promise<string[]> {
  await page.evaluate(axeSource);
  // A string: it runs in the page, where axe and document are (this file's types have no DOM).
  const violations = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((results) => results.violations)",
  )) as AxeViolation[];
  return violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .filter((violation) => !except.includes(violation.id))
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
    );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactDirectory, { recursive: true });
  await page.screenshot({ path: join(artifactDirectory, `${name}.png`), fullPage: true });
}
