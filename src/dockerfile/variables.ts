/**
 * Variable references in an instruction's raw arguments: `$NAME` and `${NAME…}` with
 * the modifier that decides whether an unset value matters. A linear scan of the text
 * (resolving each reference against the whole file made parsing quadratic in the number
 * of stages).
 */

/** One `$NAME` / `${NAME…}` reference. */
export interface VariableReference {
  name: string;
  /** `-` (default), `+` (alternative), `?` (required), with or without `:`; `undefined` for none or a pattern form. */
  modifier?: "-" | "+" | "?";
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** The references in `text`, in order; `escape` (the `# escape=` character) makes the next character literal. */
export function scanVariables(text: string, escape = "\\"): VariableReference[] {
  const found: VariableReference[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === escape) {
      i++;
      continue;
    }
    if (c !== "$") continue;
    const braced = text[i + 1] === "{";
    NAME.lastIndex = braced ? i + 2 : i + 1;
    const name = NAME.exec(text)?.[0];
    if (!name) continue;
    let end = NAME.lastIndex;
    if (!braced) {
      found.push({ name });
      i = end - 1;
      continue;
    }
    const op = text[end] === ":" ? text[end + 1] : text[end];
    const modifier = op === "-" || op === "+" || op === "?" ? op : undefined;
    // Skip to the matching brace: the word inside may hold more `${…}`.
    for (let depth = 1; end < text.length && depth > 0; end++) {
      if (text[end] === escape) end++;
      else if (text[end] === "{" && text[end - 1] === "$") depth++;
      else if (text[end] === "}") depth--;
    }
    found.push({ name, ...(modifier ? { modifier } : {}) });
    i = end - 1;
  }
  return found;
}
