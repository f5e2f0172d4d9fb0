/**
 * Small readers for the deployment files the tests check: nginx configuration, systemd
 * units and environment files, .dockerignore patterns, Compose's variable
 * interpolation, and the commands of a README's shell blocks. Each reads only as much of
 * its format as deploy/ uses, and refuses what it does not understand rather than guess.
 */

/** One nginx directive: `name args;` or `name args { children }`. */
export interface NginxDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly children?: readonly NginxDirective[];
}

/** Parses nginx configuration text; unbalanced braces or a missing `;` throw. */
export function parseNginx(text: string): NginxDirective[] {
  const tokens = nginxTokens(text);
  let position = 0;
  const block = (nested: boolean): NginxDirective[] => {
    const directives: NginxDirective[] = [];
    const words: string[] = [];
    while (position < tokens.length) {
      const token = tokens[position++] as string;
      if (token === ";") {
        const [name, ...args] = words.splice(0);
        if (name === undefined) throw new Error("nginx: empty directive");
        directives.push({ name, args });
      } else if (token === "{") {
        const [name, ...args] = words.splice(0);
        if (name === undefined) throw new Error("nginx: block without a name");
        directives.push({ name, args, children: block(true) });
      } else if (token === "}") {
        if (!nested) throw new Error("nginx: unexpected }");
        if (words.length > 0) throw new Error(`nginx: missing ; after ${words.join(" ")}`);
        return directives;
      } else {
        words.push(token);
      }
    }
    if (nested) throw new Error("nginx: unclosed {");
    if (words.length > 0) throw new Error(`nginx: missing ; after ${words.join(" ")}`);
    return directives;
  };
  return block(false);
}

function nginxTokens(text: string): string[] {
  return scan(
    text,
    /\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)/y,
    (match) => match[1] ?? match[2] ?? match[3] ?? match[4],
    "nginx",
  );
}

/** Reads `text` whole with a sticky pattern; `token` keeps a match's value, if any. */
function scan(
  text: string,
  pattern: RegExp,
  token: (match: RegExpExecArray) => string | undefined,
  what: string,
): string[] {
  const tokens: string[] = [];
  for (let index = 0; index < text.length; index = pattern.lastIndex) {
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match)
      throw new Error(`${what}: cannot read ${JSON.stringify(text.slice(index, index + 20))}`);
    const value = token(match);
    if (value !== undefined) tokens.push(value);
  }
  return tokens;
}

/** Every directive named `name` at any depth, with the blocks that contain it. */
export function findNginx(
  directives: readonly NginxDirective[],
  name: string,
  parents: readonly NginxDirective[] = [],
): { directive: NginxDirective; parents: readonly NginxDirective[] }[] {
  return directives.flatMap((directive) => [
    ...(directive.name === name ? [{ directive, parents }] : []),
    ...(directive.children ? findNginx(directive.children, name, [...parents, directive]) : []),
  ]);
}

/** nginx's size syntax (k, m, g are powers of 1024) in bytes. */
export function nginxSize(text: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(text);
  if (!match) throw new Error(`not an nginx size: ${text}`);
  const power = ["", "k", "m", "g"].indexOf((match[2] as string).toLowerCase());
  return Number(match[1]) * 1024 ** power;
}

/** nginx's time syntax (ms, s, m, h, d; seconds without a unit) in seconds. */
export function nginxSeconds(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  if (!match) throw new Error(`not an nginx time: ${text}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? "s"] as number;
  return Number(match[1]) * unit;
}

/** A systemd unit: sections in order, each a list of key/value pairs (keys repeat). */
export type Unit = { readonly section: string; readonly entries: [string, string][] }[];

export function parseUnit(text: string): Unit {
  const unit: { section: string; entries: [string, string][] }[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[([A-Za-z]+)\]$/.exec(line);
    if (section) {
      unit.push({ section: section[1] as string, entries: [] });
      continue;
    }
    const entry = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    const current = unit.at(-1);
    if (!entry || !current || line.endsWith("\\")) {
      throw new Error(`unit line ${index + 1} is not KEY=value inside a section: ${line}`);
    }
    current.entries.push([entry[1] as string, (entry[2] as string).trim()]);
  }
  return unit;
}

/** The values of `key` in `section`, in order. */
export function unitValues(unit: Unit, section: string, key: string): string[] {
  return unit
    .filter((part) => part.section === section)
    .flatMap((part) => part.entries.filter(([name]) => name === key).map(([, value]) => value));
}

/** KEY=value lines, as systemd's EnvironmentFile and a shell read them alike. */
export function parseEnvironmentFile(text: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const match = /^([A-Z_][A-Z0-9_]*)=(?:"([^"\\$`]*)"|([^\s"'\\$`]*))$/.exec(line);
    if (!match) {
      throw new Error(
        `line ${index + 1} is not KEY=value with a plain or double-quoted value: ${line}`,
      );
    }
    variables.set(match[1] as string, match[2] ?? match[3] ?? "");
  }
  return variables;
}

/** Whether .dockerignore's patterns leave `path` (relative, with /) out of the context. */
export function dockerIgnores(dockerignore: string, path: string): boolean {
  let ignored = false;
  for (const raw of dockerignore.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const exception = line.startsWith("!");
    const pattern = (exception ? line.slice(1) : line).replace(/^\.?\/+/, "");
    // Docker matches a pattern against the path and each of its parent folders.
    const parts = path.split("/");
    const candidates = parts.map((_, index) => parts.slice(0, index + 1).join("/"));
    if (candidates.some((candidate) => globRegExp(pattern).test(candidate))) ignored = !exception;
  }
  return ignored;
}

function globRegExp(pattern: string): RegExp {
  let source = "";
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string;
    if (pattern.startsWith("**/", index)) {
      source += "(?:.*/)?";
      index += 2;
    } else if (pattern.startsWith("**", index)) {
      source += ".*";
      index += 1;
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

/**
 * Compose's interpolation of `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}` and `$$`, applied to every string of a parsed file.
 */
export function interpolate(value: unknown, environment: Record<string, string>): unknown {
  if (typeof value === "string") {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (whole, name, colon, operator, operand, bare) => {
        if (whole === "$$") return "$";
        const variable = (name ?? bare) as string;
        const current = environment[variable];
        const missing = current === undefined || (colon === ":" && current === "");
        if (!missing) return current as string;
        if (operator === "?") throw new Error(`${variable}: ${operand}`);
        return operator === "-" ? (operand as string) : "";
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, environment));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, environment)]),
    );
  }
  return value;
}

/** The fenced code blocks of a Markdown text whose language is one of `languages`. */
export function codeBlocks(markdown: string, languages: readonly string[]): string[] {
  const blocks: string[] = [];
  const pattern = /^( *)```(\w*)\n([\s\S]*?)^\1```$/gm;
  for (const match of markdown.matchAll(pattern)) {
    if (languages.includes(match[2] as string)) {
      const indent = (match[1] as string).length;
      blocks.push(
        (match[3] as string)
          .split("\n")
          .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
          .join("\n"),
      );
    }
  }
  return blocks;
}

/**
 * The `coursefed` invocations in shell text, as argument lists: `coursefed ARGS` (after
 * `sudo` or variable assignments), `node .../coursefed.js ARGS`, `docker compose exec
 * SERVICE coursefed ARGS`, and `docker compose run SERVICE ARGS` (the image's entrypoint
 * is coursefed, unless --entrypoint replaces it).
 */
export function coursefedInvocations(shell: string): string[][] {
  const invocations: string[][] = [];
  const lines = shell.replace(/\\\n/g, " ").split("\n");
  for (const line of lines) {
    for (const command of splitCommands(shellWords(line))) {
      const args = invocationArguments(command);
      if (args) invocations.push(args);
    }
  }
  return invocations;
}

function invocationArguments(command: string[]): string[] | undefined {
  let words = command;
  while (words[0] === "sudo" || /^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? "")) {
    words = words.slice(words[0] === "sudo" && words[1] === "-u" ? 3 : 1);
  }
  if (words[0] === "coursefed") return words.slice(1);
  const script = words.findIndex((word) => word.endsWith("packages/node/bin/coursefed.js"));
  if (words[0] === "node" && script > 0) return words.slice(script + 1);
  if (words[0] !== "docker" || words[1] !== "compose") return undefined;
  const verb = words.findIndex((word, index) => index > 1 && (word === "exec" || word === "run"));
  if (verb < 0) return undefined;
  const valued = new Set(["--entrypoint", "-e", "--env", "-u", "--user", "-w", "--workdir"]);
  let index = verb + 1;
  let entrypoint: string | undefined;
  while (words[index]?.startsWith("-")) {
    if (words[index] === "--entrypoint") entrypoint = words[index + 1];
    index += valued.has(words[index] as string) ? 2 : 1;
  }
  const rest = words.slice(index + 1);
  if (words[verb] === "exec") return rest[0] === "coursefed" ? rest.slice(1) : undefined;
  return entrypoint === undefined ? rest : undefined;
}

/** Shell words of one line, with quotes removed and a trailing comment dropped. */
export function shellWords(line: string): string[] {
  return scan(
    line,
    /\s+|#.*$|(&&|\|\||[;|]|\d*[<>]+&?\d*)|((?:[^\s"'\\;|&<>]|\\.|"(?:[^"\\]|\\.)*"|'[^']*')+)/y,
    (match) =>
      match[1] ??
      match[2]?.replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'|\\(.)/g, (_, double, single, escaped) =>
        double !== undefined
          ? double.replace(/\\(.)/g, "$1")
          : single !== undefined
            ? single
            : escaped,
      ),
    "shell",
  );
}

/** Commands between `&&`, `||`, `;` and `|`, without their redirections. */
function splitCommands(words: string[]): string[][] {
  const commands: string[][] = [[]];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    if (["&&", "||", ";", "|"].includes(word)) commands.push([]);
    // A redirection takes the next word (its file), unless it names a descriptor (2>&1).
    else if (/^\d*[<>]/.test(word)) index += /&\d+$/.test(word) ? 0 : 1;
    else commands.at(-1)?.push(word);
  }
  return commands.filter((command) => command.length > 0);
}

/** Subcommand names listed under "Commands:" in commander's help text. */
export function helpCommands(help: string): string[] {
  return helpSection(help, "Commands")
    .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== "help");
}

/** Long options listed under "Options:" in commander's help text. */
export function helpOptions(help: string): string[] {
  return helpSection(help, "Options").flatMap((line) => {
    const match = /^ {2}(?:-\w, )?(--[\w-]+)/.exec(line);
    return match ? [match[1] as string] : [];
  });
}

function helpSection(help: string, title: string): string[] {
  const lines = help.split("\n");
  const start = lines.indexOf(`${title}:`);
  if (start < 0) return [];
  const end = lines.findIndex((line, index) => index > start && /^\S/.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}
