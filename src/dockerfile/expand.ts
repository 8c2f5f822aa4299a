/**
 * Word expansion with the semantics of BuildKit's shell lexer (its `shell` package, written
 * anew here from its documented rules and test data), used for every word the model expands
 * (FROM lines, ARG defaults, COPY sources):
 * - quotes are removed; nothing expands inside single quotes; inside double quotes the escape
 *   character escapes only `"`, `$` and itself; outside quotes it escapes any character (and
 *   is dropped at the end of the word); an unterminated quote is an error;
 * - `$NAME`, `${NAME}`; positional (`$1`, `${10}`) and special parameters (`$@ $* $# $? $- $$ $! $0`)
 *   are never set in a Dockerfile and expand to empty; a `$` before anything else stays;
 * - `${N:-w} ${N-w} ${N:+w} ${N+w} ${N:?w} ${N?w}`; `${N#p} ${N##p} ${N%p} ${N%%p}` (shortest or
 *   longest prefix or suffix matching a shell pattern removed); `${N/p/r} ${N//p/r}` (first or
 *   every match of a shell pattern replaced);
 * - anything else in `${…}` is an error: `${}`, `${:-x}`, `${N=x}`, `${N:%x}`, a missing `}`.
 */

/** Values in scope: `undefined` means unset, `""` means set to empty. */
export type Scope = ReadonlyMap<string, string | undefined>;

/** A word BuildKit would refuse to expand; the message is BuildKit's. */
export class ExpansionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpansionError";
  }
}

const SPECIAL_PARAMETERS = new Set(["@", "*", "#", "?", "-", "$", "!", "0"]);

/** Expand `text` from `scope` (unset variables expand to ""), removing quotes; `escape` is the `# escape=` character. */
export function expandWord(text: string, scope: Scope, escape = "\\"): string {
  try {
    return new Lexer(text, scope, escape).word(undefined, false);
  } catch (err) {
    if (err instanceof ExpansionError) throw new ExpansionError(`failed to process "${text}": ${err.message}`);
    throw err;
  }
}

/** `expandWord`, but a failure (`${X:?msg}` unset, a malformed reference) leaves the text as written; the arg check reports it. */
export function expandOrKeep(text: string, scope: Scope, escape = "\\"): string {
  try {
    return expandWord(text, scope, escape);
  } catch {
    return text;
  }
}

class Lexer {
  private readonly chars: string[];
  private at = 0;

  constructor(
    text: string,
    private readonly scope: Scope,
    private readonly escape: string,
  ) {
    this.chars = [...text];
  }

  private peek(): string | undefined {
    return this.chars[this.at];
  }

  private next(): string | undefined {
    return this.chars[this.at++];
  }

  private lookup(name: string): { value: string; set: boolean } {
    const value = this.scope.get(name);
    return value === undefined ? { value: "", set: false } : { value, set: true };
  }

  /**
   * Read up to `stop` (consumed) or the end, expanding as it goes. `rawEscapes` keeps escape
   * characters in the result (for patterns, where they still mean "literal").
   */
  word(stop: string | undefined, rawEscapes: boolean): string {
    let out = "";
    for (let c = this.peek(); c !== undefined; c = this.peek()) {
      if (stop !== undefined && c === stop) {
        this.next();
        return out;
      }
      if (c === "'") out += this.singleQuoted();
      else if (c === '"') out += this.doubleQuoted();
      else if (c === "$") out += this.dollar();
      else {
        this.next();
        if (c === this.escape) {
          if (rawEscapes) out += c;
          const escaped = this.next();
          if (escaped === undefined) break;
          out += escaped;
        } else out += c;
      }
    }
    if (stop !== undefined) throw new ExpansionError(`unexpected end of statement while looking for matching ${stop}`);
    return out;
  }

  private singleQuoted(): string {
    this.next();
    let out = "";
    for (;;) {
      const c = this.next();
      if (c === undefined)
        throw new ExpansionError("unexpected end of statement while looking for matching single-quote");
      if (c === "'") return out;
      out += c;
    }
  }

  private doubleQuoted(): string {
    this.next();
    let out = "";
    for (;;) {
      const c = this.peek();
      if (c === undefined)
        throw new ExpansionError("unexpected end of statement while looking for matching double-quote");
      if (c === '"') {
        this.next();
        return out;
      }
      if (c === "$") {
        out += this.dollar();
        continue;
      }
      this.next();
      if (c === this.escape) {
        const following = this.peek();
        if (following === undefined) continue;
        if (following === '"' || following === "$" || following === this.escape) {
          out += this.next();
          continue;
        }
      }
      out += c;
    }
  }

  /** A name: letters, digits and `_`; or all the digits of a positional parameter; or one special parameter. */
  private name(): string {
    let name = "";
    for (let c = this.peek(); c !== undefined; c = this.peek()) {
      if (name === "" && /[0-9]/.test(c)) {
        while (this.peek() !== undefined && /[0-9]/.test(this.peek() as string)) name += this.next();
        return name;
      }
      if (name === "" && SPECIAL_PARAMETERS.has(c)) return this.next() as string;
      if (!/[\p{L}\p{Nd}_]/u.test(c)) break;
      name += this.next();
    }
    return name;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== "{") {
      const name = this.name();
      return name === "" ? "$" : this.lookup(name).value;
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new ExpansionError("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") throw new ExpansionError("syntax error: bad substitution");
    const name = this.name();
    let op = this.next();
    if (op === "}") return this.lookup(name).value;
    if (op === "/") return this.replace(name);
    let written = op ?? "";
    const nullIsUnset = op === ":";
    if (nullIsUnset) {
      op = this.next();
      written += op ?? "";
    }
    if (op === undefined) throw new ExpansionError("syntax error: missing '}'");
    const rawEscapes = op === "#" || op === "%";
    if (nullIsUnset && rawEscapes) throw new ExpansionError(`unsupported modifier (${written}) in substitution`);
    if (!"+-?#%".includes(op) || (nullIsUnset && !"+-?".includes(op))) {
      // BuildKit reads the word up to the brace before it refuses the modifier.
      this.stopped("}", rawEscapes, "syntax error: missing '}'");
      throw new ExpansionError(`unsupported modifier (${written}) in substitution`);
    }
    let word = this.stopped("}", rawEscapes, "syntax error: missing '}'");
    const { value, set } = this.lookup(name);
    const present = set && !(nullIsUnset && value === "");
    switch (op) {
      case "-":
        return present ? value : word;
      case "+":
        return present ? word : "";
      case "?":
        if (!set) throw new ExpansionError(`${name}: ${word || "is not allowed to be unset"}`);
        if (nullIsUnset && value === "") throw new ExpansionError(`${name}: ${word || "is not allowed to be empty"}`);
        return value;
      default: {
        const greedy = word.startsWith(op);
        if (greedy) word = word.slice(1);
        return op === "#" ? trimPrefix(word, value, greedy, this.escape) : trimSuffix(word, value, greedy, this.escape);
      }
    }
  }

  /** `${name/pattern/replacement}` or `${name//pattern/replacement}` (the first `/` read). */
  private replace(name: string): string {
    const all = this.peek() === "/";
    if (all) this.next();
    const pattern = this.stopped("/", true, "syntax error: missing '/' in ${}");
    const replacement = this.stopped("}", true, "syntax error: missing '}'");
    const re = patternRegExp(pattern, true, false, this.escape, all);
    const value = this.lookup(name).value;
    if (all) return value.replace(re, () => replacement);
    const m = re.exec(value);
    return m ? value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length) : value;
  }

  private stopped(stop: string, rawEscapes: boolean, atEnd: string): string {
    try {
      return this.word(stop, rawEscapes);
    } catch (err) {
      if (err instanceof ExpansionError && this.peek() === undefined) throw new ExpansionError(atEnd);
      throw err;
    }
  }
}

/**
 * A shell pattern as a regular expression: `*` any run (the shortest unless `greedy`), `?` one
 * character, `[…]` a class (`[!…]` negated), the escape character makes the next one literal.
 */
function patternRegExp(pattern: string, greedy: boolean, anchored: boolean, escape: string, global = false): RegExp {
  let source = anchored ? "^" : "";
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === escape && i + 1 < chars.length) source += quote(chars[++i]);
    else if (c === "*") source += greedy ? "[\\s\\S]*" : "[\\s\\S]*?";
    else if (c === "?") source += "[\\s\\S]";
    else if (c === "[") {
      const close = chars.indexOf("]", i + 2);
      if (close < 0) source += "\\[";
      else {
        let body = chars.slice(i + 1, close).join("");
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        source += `[${body.replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else source += quote(c);
  }
  try {
    return new RegExp(source, global ? "gu" : "u");
  } catch (err) {
    throw new ExpansionError(`invalid pattern (${pattern}) in substitution: ${(err as Error).message}`);
  }
}

function quote(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

function trimPrefix(pattern: string, value: string, greedy: boolean, escape: string): string {
  const m = patternRegExp(pattern, greedy, true, escape).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** The shortest (or longest) suffix: a prefix match of the reversed pattern on the reversed value. */
function trimSuffix(pattern: string, value: string, greedy: boolean, escape: string): string {
  const reversed = [...value].reverse().join("");
  return [...trimPrefix(reversePattern(pattern, escape), reversed, greedy, escape)].reverse().join("");
}

/** A pattern that matches the reversed strings: escapes and classes kept with what they apply to. */
function reversePattern(pattern: string, escape: string): string {
  const tokens: string[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === escape && i + 1 < chars.length) tokens.push(chars[i] + chars[++i]);
    else if (chars[i] === "[") {
      const close = chars.indexOf("]", i + 2);
      const end = close < 0 ? i : close;
      tokens.push(chars.slice(i, end + 1).join(""));
      i = end;
    } else tokens.push(chars[i]);
  }
  return tokens.reverse().join("");
}
