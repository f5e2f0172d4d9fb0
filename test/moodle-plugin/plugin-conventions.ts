/**
 * Moodle's conventions for a plugin, checked on local_coursefed's source without a Moodle
 * site: what Moodle's own plugin checker and upgrade would trip on, or a reviewer of the
 * Moodle plugins directory would refuse. Each problem is a line naming the file.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The plugin's component, as every string, capability and function is named after it. */
const COMPONENT = "local_coursefed";
/** Moodle 4.5.0's version: the plugin must install on the LTS. */
const MOODLE_45 = 2024100700;

/**
 * Reads the plugin's declaration files with PHP itself, as Moodle includes them, with the
 * few constants of Moodle's they use defined (their values do not matter here).
 */
const READER = `
define('MOODLE_INTERNAL', true);
foreach (['MATURITY_ALPHA' => 50, 'MATURITY_BETA' => 100, 'MATURITY_RC' => 150, 'MATURITY_STABLE' => 200,
    'CONTEXT_SYSTEM' => 10, 'CONTEXT_USER' => 30, 'CONTEXT_COURSECAT' => 40, 'CONTEXT_COURSE' => 50,
    'CONTEXT_MODULE' => 70, 'CONTEXT_BLOCK' => 80, 'CAP_INHERIT' => 0, 'CAP_ALLOW' => 1, 'CAP_PREVENT' => -1,
    'CAP_PROHIBIT' => -1000, 'RISK_MANAGETRUST' => 1, 'RISK_CONFIG' => 2, 'RISK_XSS' => 4,
    'RISK_PERSONAL' => 8, 'RISK_SPAM' => 16, 'RISK_DATALOSS' => 32] as $name => $value) {
    define($name, $value);
}
$dir = $argv[1];
$read = function (string $file, string $variable) use ($dir) {
    $plugin = new stdClass();
    $string = [];
    include($dir . '/' . $file);
    return $$variable ?? null;
};
echo json_encode([
    'version' => $read('version.php', 'plugin'),
    'en' => $read('lang/en/${COMPONENT}.php', 'string'),
    'fr' => $read('lang/fr/${COMPONENT}.php', 'string'),
    'capabilities' => array_keys($read('db/access.php', 'capabilities') ?? []),
    'functions' => $read('db/services.php', 'functions'),
]);
`;

interface Declarations {
  readonly version: Record<string, unknown> | null;
  readonly en: Record<string, string> | null;
  readonly fr: Record<string, string> | null;
  readonly capabilities: string[];
  readonly functions: Record<string, { classname?: string; methodname?: string }> | null;
}

/** Every file under `directory`, as paths relative to it with forward slashes. */
async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

/** Whether PHP's command line is here to check with. */
export async function havePhp(): Promise<boolean> {
  return await run("php", ["-r", "echo 1;"]).then(
    () => true,
    () => false,
  );
}

/** What in the plugin at `pluginDir` breaks Moodle's conventions; empty when nothing does. */
export async function pluginConventionProblems(pluginDir: string): Promise<string[]> {
  const problems: string[] = [];
  const files = await filesUnder(pluginDir);
  const phpFiles = files.filter((file) => file.endsWith(".php"));
  const sources = new Map<string, string>();
  for (const file of files.filter((each) => /\.(php|mustache)$/.test(each))) {
    sources.set(file, await readFile(join(pluginDir, file), "utf8"));
  }

  // Syntax first: the other checks read the files, a broken one would mislead them.
  const linted = await Promise.all(
    phpFiles.map(async (file) => {
      try {
        await run("php", ["-l", join(pluginDir, file)]);
        return undefined;
      } catch (error) {
        const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
        const said = `${stderr}${stdout}`.split("\n").find((line) => /error/i.test(line));
        return `${file}: php -l fails: ${(said ?? "").replaceAll(pluginDir, "").trim()}`;
      }
    }),
  );
  problems.push(...linted.filter((problem) => problem !== undefined));

  for (const file of phpFiles) problems.push(...fileProblems(file, sources.get(file) ?? ""));

  let declarations: Declarations;
  try {
    const { stdout } = await run("php", [
      "-d",
      "display_errors=stderr",
      "-r",
      READER,
      "--",
      pluginDir,
    ]);
    declarations = JSON.parse(stdout) as Declarations;
  } catch (error) {
    const { stderr = "" } = error as { stderr?: string };
    problems.push(
      `the plugin's declarations (version.php, lang, db/access.php, db/services.php) could not be read by PHP: ${stderr.trim() || (error as Error).message}`,
    );
    return problems;
  }
  problems.push(...versionProblems(declarations.version));
  problems.push(...languageProblems(declarations, sources));
  problems.push(...serviceProblems(declarations, sources));
  problems.push(...privacyProblems(sources, declarations.en ?? {}));
  return problems;
}

/** The rules every PHP file of a Moodle plugin follows. */
function fileProblems(file: string, source: string): string[] {
  const problems: string[] = [];
  const head = source.slice(0, 1500);
  if (
    !head.startsWith("<?php") ||
    !head.includes("GNU General Public License") ||
    !/either version 3 of the License, or\s*\n\/\/ \(at your option\) any later version/.test(head)
  ) {
    problems.push(`${file}: no GPL v3-or-later header at the top of the file`);
  }
  if (/\?>\s*$/.test(source)) problems.push(`${file}: ends with a closing ?> tag`);
  const superglobal = /\$_(GET|POST|REQUEST|COOKIE|SERVER)\b/.exec(source);
  if (superglobal) {
    problems.push(
      `${file}: reads ${superglobal[0]} directly (use required_param/optional_param, or Moodle's API)`,
    );
  }
  if (file.startsWith("classes/")) {
    // Autoloaded: namespaced after its folder, one class named after the file, and nothing
    // run on inclusion (so no MOODLE_INTERNAL check either, as Moodle's coding style says).
    const parts = file
      .replace(/\.php$/, "")
      .split("/")
      .slice(1);
    const name = parts.pop() as string;
    const namespace = [COMPONENT, ...parts].join("\\");
    if (!new RegExp(`^namespace ${namespace.replaceAll("\\", "\\\\")};$`, "m").test(source)) {
      problems.push(`${file}: not in namespace ${namespace}, where Moodle's autoloader looks`);
    }
    if (
      !new RegExp(`^(abstract |final )?(class|interface|trait|enum) ${name}\\b`, "m").test(source)
    ) {
      problems.push(`${file}: declares no class ${name}, which its path promises the autoloader`);
    }
  } else if (
    !/^defined\('MOODLE_INTERNAL'\) \|\| die\(\);$/m.test(source) &&
    !/^require(_once)?\(.*config\.php'\);$/m.test(source)
  ) {
    problems.push(
      `${file}: neither defined('MOODLE_INTERNAL') || die(); nor a require of config.php`,
    );
  }
  return problems;
}

function versionProblems(version: Record<string, unknown> | null): string[] {
  const problems: string[] = [];
  if (!version) return ["version.php: sets no $plugin"];
  if (version.component !== COMPONENT) {
    problems.push(`version.php: $plugin->component is not '${COMPONENT}'`);
  }
  if (!/^20\d{8}$/.test(String(version.version ?? ""))) {
    problems.push("version.php: $plugin->version is not a YYYYMMDDXX number");
  }
  const requires = Number(version.requires);
  if (!Number.isInteger(requires) || requires <= 0) {
    problems.push("version.php: $plugin->requires is missing");
  } else if (requires > MOODLE_45) {
    problems.push(`version.php: $plugin->requires ${requires} keeps the plugin off Moodle 4.5`);
  }
  if (typeof version.maturity !== "number") {
    problems.push("version.php: $plugin->maturity is not one of Moodle's MATURITY_* constants");
  }
  if (typeof version.release !== "string" || version.release === "") {
    problems.push("version.php: $plugin->release is missing");
  }
  return problems;
}

/** The string keys the plugin's code asks for by name (dynamic names cannot be checked). */
function stringsUsed(file: string, source: string): string[] {
  const quoted = `['"]${COMPONENT}['"]`;
  const patterns = [
    new RegExp(
      `(?:get_string|new\\s+(?:\\\\?\\w+\\\\)*lang_string)\\(\\s*['"]([^'"]+)['"]\\s*,\\s*${quoted}`,
      "g",
    ),
    // moodle_exception and its kind look their error code up as a string of the module.
    new RegExp(
      `new\\s+(?:\\\\?\\w+\\\\)*\\w*exception\\(\\s*['"]([^'"]+)['"]\\s*,\\s*${quoted}`,
      "g",
    ),
  ];
  if (file.endsWith(".mustache")) {
    patterns.push(new RegExp(`\\{\\{#str\\}\\}\\s*([\\w:]+)\\s*,\\s*${COMPONENT}\\b`, "g"));
  }
  return patterns.flatMap((pattern) =>
    [...source.matchAll(pattern)].map((match) => match[1] as string),
  );
}

function languageProblems(
  declarations: Declarations,
  sources: ReadonlyMap<string, string>,
): string[] {
  const problems: string[] = [];
  const { en, fr } = declarations;
  if (!en) return ["lang/en: no $string"];
  if (!fr) return ["lang/fr: no $string"];
  for (const [language, strings, other] of [
    ["en", en, fr],
    ["fr", fr, en],
  ] as const) {
    const lacking = Object.keys(other).filter((key) => !(key in strings));
    if (lacking.length > 0) {
      problems.push(`lang/${language}: lacks ${lacking.join(", ")}`);
    }
    const empty = Object.entries(strings)
      .filter(([, text]) => typeof text !== "string" || text.trim() === "")
      .map(([key]) => key);
    if (empty.length > 0) problems.push(`lang/${language}: empty strings ${empty.join(", ")}`);
  }
  if (!en.pluginname) problems.push("lang/en: no pluginname");
  for (const [file, source] of sources) {
    const unknown = [...new Set(stringsUsed(file, source).filter((key) => !(key in en)))];
    if (unknown.length > 0) {
      problems.push(`${file}: asks for strings lang/en lacks: ${unknown.join(", ")}`);
    }
  }
  for (const capability of declarations.capabilities) {
    const [component, name] = capability.split(":");
    if (component !== "local/coursefed") {
      problems.push(`db/access.php: capability ${capability} is not named local/coursefed:...`);
    } else if (!en[`coursefed:${name}`]) {
      problems.push(`db/access.php: capability ${capability} has no string coursefed:${name}`);
    }
  }
  return problems;
}

function serviceProblems(
  declarations: Declarations,
  sources: ReadonlyMap<string, string>,
): string[] {
  const problems: string[] = [];
  for (const [name, definition] of Object.entries(declarations.functions ?? {})) {
    if (!name.startsWith(`${COMPONENT}_`)) {
      problems.push(`db/services.php: function ${name} is not named ${COMPONENT}_...`);
    }
    const classname = (definition.classname ?? "").replace(/^\\/, "");
    const method = definition.methodname ?? "execute";
    const [component, ...rest] = classname.split("\\");
    const file = `classes/${rest.join("/")}.php`;
    const source = component === COMPONENT ? sources.get(file) : undefined;
    if (source === undefined) {
      problems.push(`db/services.php: ${name}'s class ${classname || "(none)"} has no ${file}`);
      continue;
    }
    for (const wanted of [method, `${method}_parameters`, `${method}_returns`]) {
      if (!new RegExp(`public static function ${wanted}\\s*\\(`).test(source)) {
        problems.push(`${file}: ${name} needs public static function ${wanted}()`);
      }
    }
  }
  return problems;
}

function privacyProblems(
  sources: ReadonlyMap<string, string>,
  en: Readonly<Record<string, string>>,
): string[] {
  const file = "classes/privacy/provider.php";
  const source = sources.get(file);
  if (source === undefined) return [`${file}: no privacy provider`];
  if (!/class provider implements[^{]*\\core_privacy\\local\\(metadata|request)\\/.test(source)) {
    return [`${file}: class provider implements none of Moodle's privacy interfaces`];
  }
  const reason = /function get_reason\(\)[^{]*\{\s*return '([^']+)';/.exec(source)?.[1];
  if (/null_provider/.test(source) && (!reason || !en[reason])) {
    return [`${file}: get_reason() names no string of lang/en`];
  }
  return [];
}
