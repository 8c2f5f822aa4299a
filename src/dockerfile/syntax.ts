/**
 * The Dockerfile's syntax as BuildKit's parser reads it (its `parser` package, written anew
 * here from its documented rules): parser directives (`# syntax=`, `# escape=`, `# check=`)
 * until the first other line; comments and blank lines skipped, also inside a continued
 * instruction; a line ending in the escape character continues on the next (leading blanks of
 * the next line kept); flags (`--name=value`) before the arguments; each instruction's
 * arguments split as BuildKit splits them (JSON form, whitespace, `name=value` pairs, the
 * legacy `ENV name value`); here-documents of RUN, COPY and ADD. One pass, linear in the file.
 */

/** A parser directive at the top of the file. */
export interface Directive {
  name: string;
  value: string;
  line: number;
}

/** A here-document of an instruction (`<<EOF … EOF`). */
export interface Heredoc {
  /** Its terminator word. */
  name: string;
  /** `<<-`: leading tabs are stripped from its lines and terminator. */
  chomp: boolean;
  /** The terminator was quoted (`<<"EOF"`): its body is not expanded. */
  quoted: boolean;
  /** Its lines, each with its line break. */
  content: string;
}

/** One instruction as written, its arguments split as BuildKit's parser splits them. */
export interface SyntaxNode {
  /** The instruction keyword, upper case (`FROM`, `RUN`, or an unknown word as written). */
  keyword: string;
  /** 1-based first and last line (a continued instruction and its here-documents included). */
  line: number;
  endLine: number;
  /** Flags before the arguments, as written without quotes (`--from=build`, `--mount=type=cache,target=/x`). */
  flags: string[];
  /** The text after the keyword and the flags, continuation lines joined. */
  rest: string;
  /** The arguments, as BuildKit's AST holds them (see `dumpInstructions`). */
  args: string[];
  /** `CMD`, `RUN`, `ENTRYPOINT`, `SHELL`, `COPY`, `ADD`, `VOLUME`: written as a JSON array. */
  json: boolean;
  /** `ONBUILD`: its trigger instruction. */
  trigger?: SyntaxNode;
  heredocs: Heredoc[];
  /** Why BuildKit's parser refuses this instruction, when it does (e.g. `ENV` with a name but no value). */
  error?: string;
}

/** A problem of the file as a whole, with its line. */
export interface SyntaxProblem {
  line: number;
  message: string;
  /** A here-document never closed: its terminator, and the first `FROM` line it swallowed. */
  unterminated?: { name: string; swallowedFrom?: number };
}

export interface SyntaxTree {
  directives: Directive[];
  /** The escape character: `\` unless `# escape=` says otherwise. */
  escape: string;
  nodes: SyntaxNode[];
  /** Problems of the file as a whole (a bad directive, an unterminated here-document), with their lines. */
  errors: SyntaxProblem[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(["syntax", "escape", "check"]);
const WHITESPACE = /[\t\v\f\r ]+/;
/** Instructions whose here-documents BuildKit reads. */
const HEREDOC_INSTRUCTIONS = new Set(["RUN", "COPY", "ADD"]);

/** Parse `content` into directives and instruction nodes, as BuildKit's parser does. */
export function parseSyntax(content: string): SyntaxTree {
  const lines = content.replace(/^\uFEFF/, "").split(/\r?\n/);
  // A last line break ends the last line; it does not start an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const tree: SyntaxTree = { directives: [], escape: "\\", nodes: [], errors: [] };
  let directivesDone = false;
  let continuation = continuationPattern("\\");

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (!directivesDone) {
      const match = DIRECTIVE.exec(raw.trimStart());
      const name = match?.[1].toLowerCase();
      if (match && name && KNOWN_DIRECTIVES.has(name)) {
        if (tree.directives.some((d) => d.name === name))
          tree.errors.push({ line: i + 1, message: `only one ${name} parser directive can be used` });
        tree.directives.push({ name, value: match[2], line: i + 1 });
        if (name === "escape") {
          if (match[2] !== "`" && match[2] !== "\\")
            tree.errors.push({ line: i + 1, message: `invalid escape token '${match[2]}' does not match \` or \\` });
          else {
            tree.escape = match[2];
            continuation = continuationPattern(tree.escape);
          }
        }
        continue;
      }
      directivesDone = true;
    }
    if (isComment(raw)) continue;
    const first = raw.trimStart();
    const start = i;
    let [line, ended] = trimContinuation(first, continuation, tree.escape);
    if (ended && line.length === 0) continue;
    while (!ended && i + 1 < lines.length) {
      const next = lines[++i];
      if (isComment(next)) continue;
      if (next.trim().length === 0) continue;
      let part: string;
      [part, ended] = trimContinuation(next, continuation, tree.escape);
      line += part;
    }
    const node = nodeFromLine(line, tree.escape, start + 1, i + 1);
    if (node.heredocs.length === 0 && HEREDOC_INSTRUCTIONS.has(node.keyword) && line.includes("<<")) {
      for (const marker of heredocMarkers(node)) {
        let body = "";
        let terminated = false;
        let swallowedFrom: number | undefined;
        while (i + 1 < lines.length) {
          const text = lines[++i];
          if ((marker.chomp ? text.replace(/^\t+/, "") : text) === marker.name) {
            terminated = true;
            break;
          }
          if (swallowedFrom === undefined && /^\s*FROM\s/i.test(text)) swallowedFrom = i + 1;
          body += `${text}\n`;
        }
        if (!terminated)
          tree.errors.push({
            line: start + 1,
            message: `unterminated heredoc <<${marker.name}`,
            unterminated: { name: marker.name, swallowedFrom },
          });
        node.heredocs.push({ ...marker, content: body });
      }
      node.endLine = i + 1;
    }
    tree.nodes.push(node);
  }
  return tree;
}

function continuationPattern(escape: string): RegExp {
  const e = escape === "\\" ? "\\\\" : escape;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

/** The line without a trailing continuation character, and whether the instruction ends with it. */
function trimContinuation(line: string, pattern: RegExp, escape: string): [string, boolean] {
  // Most lines end in neither the escape character nor a blank: no pattern needed.
  const last = line[line.length - 1];
  if (last !== escape && last !== " " && last !== "\t") return [line, true];
  if (!pattern.test(line)) return [line, true];
  return [line.replace(pattern, "$1"), false];
}

/** A comment line: `#` after any blanks. */
function isComment(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 35) return true;
    if (!isBlankCode(c)) return false;
  }
  return false;
}

/** A blank as Go's `unicode.IsSpace` (what BuildKit's parser splits on) sees it. */
function isBlankCode(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13) || c === 0x85 || c === 0xa0) return true;
  return c >= 0x1680 && c !== 0xfeff && /\s/.test(String.fromCharCode(c));
}

function isBlank(c: string): boolean {
  return isBlankCode(c.charCodeAt(0));
}

/** One instruction from its joined line. */
function nodeFromLine(line: string, escape: string, first: number, last: number): SyntaxNode {
  const trimmed = line.trim();
  const split = WHITESPACE.exec(trimmed);
  const word = split ? trimmed.slice(0, split.index) : trimmed;
  const afterKeyword = split ? trimmed.slice(split.index + split[0].length) : "";
  const keyword = word.toUpperCase();
  const [rest, flags] = afterKeyword ? extractFlags(afterKeyword) : ["", []];
  const node: SyntaxNode = {
    keyword,
    line: first,
    endLine: last,
    flags,
    rest,
    args: [],
    json: false,
    heredocs: [],
  };
  splitArguments(node, escape);
  return node;
}

/** The arguments of `node.rest`, split as BuildKit's dispatch table for its keyword does. */
function splitArguments(node: SyntaxNode, escape: string): void {
  const { rest } = node;
  switch (node.keyword) {
    case "ADD":
    case "COPY":
    case "VOLUME": {
      const json = parseJsonArray(rest);
      if (json === "not strings") node.error = `${node.keyword}: the JSON array must hold strings only`;
      else if (json) [node.args, node.json] = [json, true];
      else node.args = rest ? rest.split(WHITESPACE) : [];
      return;
    }
    case "CMD":
    case "ENTRYPOINT":
    case "RUN":
    case "SHELL": {
      if (!rest) return;
      const json = parseJsonArray(rest);
      if (json === "not strings") node.error = `${node.keyword}: the JSON array must hold strings only`;
      else if (json) [node.args, node.json] = [json, true];
      else node.args = [rest];
      return;
    }
    case "ARG":
      node.args = parseWords(rest, escape);
      return;
    case "ENV":
    case "LABEL":
      parseNameValues(node, escape);
      return;
    case "EXPOSE":
    case "FROM":
      node.args = rest ? rest.split(WHITESPACE) : [];
      return;
    case "HEALTHCHECK": {
      const type = /^\S+/.exec(rest)?.[0];
      if (!type) return;
      const command = rest.slice(type.length).trimStart();
      node.args = [type];
      if (!command) return;
      const json = parseJsonArray(command);
      if (json === "not strings") node.error = "HEALTHCHECK: the JSON array must hold strings only";
      else if (json) [node.args, node.json] = [[type, ...json], true];
      else node.args.push(command);
      return;
    }
    case "ONBUILD":
      if (rest) {
        node.trigger = nodeFromLine(rest, escape, node.line, node.endLine);
        node.args = [rest];
      }
      return;
    case "MAINTAINER":
    case "STOPSIGNAL":
    case "USER":
    case "WORKDIR":
      node.args = rest ? [rest] : [];
      return;
    default:
      // An unknown instruction: kept, its text as one argument (the model reports it).
      node.args = rest ? [rest] : [];
  }
}

/**
 * `ENV`/`LABEL`: `name=value …` pairs (each value a word, quotes kept), or the legacy
 * `name value` (the rest of the line is the value). Held as name, value, separator triples.
 */
function parseNameValues(node: SyntaxNode, escape: string): void {
  const words = parseWords(node.rest, escape);
  if (words.length === 0) return;
  if (!words[0].includes("=")) {
    const parts = node.rest.split(WHITESPACE);
    const name = parts[0];
    const value = node.rest.slice(name.length).replace(/^[\t\v\f\r ]+/, "");
    if (parts.length < 2 || value === "") {
      node.error = `${node.keyword} must have two arguments`;
      node.args = [name];
      return;
    }
    node.args = [name, value, ""];
    return;
  }
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq < 0) {
      node.error = `Syntax error - can't find = in "${word}". Must be of the form: name=value`;
      return;
    }
    node.args.push(word.slice(0, eq), word.slice(eq + 1), "=");
  }
}

/**
 * Words split on blanks outside quotes; quotes and escapes stay in the words (BuildKit's
 * `parseWords`): an escape character before any character keeps both, in double quotes too;
 * single quotes escape nothing; an escape character at the very end is dropped.
 */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  let blankOk = false;
  const chars = rest;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (!inWord) {
      if (isBlank(c)) continue;
      inWord = true;
    }
    if (quote === undefined) {
      if (isBlank(c)) {
        if (blankOk || word.length) words.push(word);
        word = "";
        blankOk = false;
        inWord = false;
        continue;
      }
      if (c === "'" || c === '"') {
        quote = c;
        blankOk = true;
      }
      if (c === escape) {
        if (i + 1 === chars.length) continue;
        word += c;
        i++;
        word += chars[i];
        continue;
      }
      word += c;
      continue;
    }
    if (c === quote) {
      quote = undefined;
      word += c;
      continue;
    }
    if (c === escape && quote !== "'") {
      if (i + 1 === chars.length) {
        quote = undefined;
        continue;
      }
      word += c;
      i++;
      word += chars[i];
      continue;
    }
    word += c;
  }
  if (inWord && (blankOk || word.length)) words.push(word);
  return words;
}

/**
 * The leading `--flag[=value]` words of an instruction's arguments (quotes removed, `\`
 * escaping the next character), and the text after them; a `--` word ends the flags.
 */
function extractFlags(line: string): [string, string[]] {
  const flags: string[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && isBlank(line[i])) i++;
    if (i >= line.length) return ["", flags];
    if (line[i] !== "-" || line[i + 1] !== "-") return [line.slice(i), flags];
    let word = "";
    let quote: string | undefined;
    let blankOk = false;
    for (; i < line.length; i++) {
      const c = line[i];
      if (quote === undefined && isBlank(c)) break;
      if (quote === undefined && (c === "'" || c === '"')) {
        quote = c;
        blankOk = true;
        continue;
      }
      if (quote !== undefined && c === quote) {
        quote = undefined;
        continue;
      }
      if (c === "\\") {
        if (i + 1 === line.length) continue;
        i++;
        word += line[i];
        continue;
      }
      word += line[i];
    }
    if (word === "--") {
      while (i < line.length && isBlank(line[i])) i++;
      return [line.slice(i), flags];
    }
    if (blankOk || word.length) flags.push(word);
  }
}

/**
 * The strings of a JSON array at the start of `text` (what follows it is ignored, as Go's
 * JSON decoder does); `undefined` when it is not one, `"not strings"` for an array of others.
 */
function parseJsonArray(text: string): string[] | "not strings" | undefined {
  if (!text.startsWith("[")) return undefined;
  const end = jsonArrayEnd(text);
  if (end < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, end + 1));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  return value.every((v) => typeof v === "string") ? (value as string[]) : "not strings";
}

/** The index of the `]` that closes the array opening `text`, strings skipped; -1 when none does. */
function jsonArrayEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") depth++;
    else if ((c === "]" || c === "}") && --depth === 0) return i;
  }
  return -1;
}

/** The here-documents an instruction's words open (`<<EOF`, `<<-EOF`, `<<"EOF"`), in order. */
function heredocMarkers(node: SyntaxNode): Array<Omit<Heredoc, "content">> {
  const markers: Array<Omit<Heredoc, "content">> = [];
  const text = [...node.flags, node.rest].join(" ");
  for (const m of text.matchAll(/<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_-]*)\2/g)) {
    markers.push({ name: m[3], chomp: m[1] === "-", quoted: m[2] !== "" });
  }
  return markers;
}

/** Go's `%q` of a string: what BuildKit's AST dump prints. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\v") out += "\\v";
    else if (ch === "\x07") out += "\\a";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** One node as BuildKit's `Node.Dump` prints it: `(keyword ["--flag"…] "arg" …)`. */
function dumpNode(node: SyntaxNode): string {
  let text = node.keyword.toLowerCase();
  if (node.flags.length) text += ` [${node.flags.map(goQuote).join(" ")}]`;
  if (node.trigger) return `${text} (${dumpNode(node.trigger)})`;
  for (const arg of node.args) text += ` ${goQuote(arg)}`;
  return text;
}

/** The file's instructions as BuildKit's parser test dumps them, one a line. */
export function dumpInstructions(content: string): string {
  return parseSyntax(content)
    .nodes.map((n) => `(${dumpNode(n)})`)
    .join("\n");
}
