/**
 * Dockerfile word expansion as BuildKit's shell lexer does it for FROM lines and ARG
 * defaults: quotes are removed (`"a b"` and `'a b'` are one word without the quotes;
 * nothing expands inside single quotes), the escape character makes the next character
 * literal, and `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`,
 * `${NAME+word}`, `${NAME:?msg}`, `${NAME?msg}` expand from the scope.
 */

/** Values in scope: `undefined` means unset, `""` means set to empty. */
export type Scope = ReadonlyMap<string, string | undefined>;

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Expand `text` from `scope` (unset variables expand to ""), removing quotes; `escape` is the `# escape=` character. */
export function expandWord(text: string, scope: Scope, escape = "\\"): string {
  let out = "";
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else out += c;
    } else if (c === escape && i + 1 < text.length) {
      // In double quotes only the quote, the escape and `$` are escaped; elsewhere any character.
      const next = text[i + 1];
      if (quote === '"' && next !== '"' && next !== escape && next !== "$") {
        out += c;
      } else {
        out += next;
        i++;
      }
    } else if (c === '"' || c === "'") {
      if (quote === c) quote = undefined;
      else if (quote === undefined) quote = c;
      else out += c;
    } else if (c === "$") {
      const [value, end] = expandVariable(text, i, scope, escape);
      out += value;
      i = end - 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** The value of the variable reference at `start` (`$`) and the index just after it; a lone `$` stays. */
function expandVariable(text: string, start: number, scope: Scope, escape: string): [string, number] {
  const braced = text[start + 1] === "{";
  NAME.lastIndex = braced ? start + 2 : start + 1;
  const name = NAME.exec(text)?.[0];
  if (!name) return ["$", start + 1];
  let i = NAME.lastIndex;
  const value = scope.get(name);
  if (!braced) return [value ?? "", i];
  const colon = text[i] === ":";
  if (colon) i++;
  const op = text[i];
  if (op === "}") return [value ?? "", i + 1];
  if (op === undefined) throw new Error(`${name}: missing "}" in "${text}"`);
  if (op !== "-" && op !== "+" && op !== "?") throw new Error(`${name}: unsupported modifier in "${text}"`);
  // The word runs to the matching brace; it may hold more `${…}`.
  let depth = 1;
  let end = i + 1;
  for (; end < text.length; end++) {
    if (text[end] === escape) end++;
    else if (text[end] === "{" && text[end - 1] === "$") depth++;
    else if (text[end] === "}" && --depth === 0) break;
  }
  if (depth !== 0) throw new Error(`${name}: missing "}" in "${text}"`);
  const word = text.slice(i + 1, end);
  const present = colon ? value !== undefined && value !== "" : value !== undefined;
  switch (op) {
    case "-":
      return [present ? (value as string) : expandWord(word, scope, escape), end + 1];
    case "+":
      return [present ? expandWord(word, scope, escape) : "", end + 1];
    default:
      if (!present)
        throw new Error(word ? `${name}: ${expandWord(word, scope, escape)}` : `${name}: parameter not set`);
      return [value as string, end + 1];
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
