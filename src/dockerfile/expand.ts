/**
 * Dockerfile word expansion for `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`,
 * `${NAME:+word}`, `${NAME+word}`, `${NAME:?msg}` and `${NAME?msg}`, as BuildKit's
 * shell lexer does it for FROM lines and ARG defaults.
 */

const VARIABLE =
  /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-+?])((?:\$\{[^}]*\}|[^}\\]|\\.)*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Values in scope: `undefined` means unset, `""` means set to empty. */
export type Scope = ReadonlyMap<string, string | undefined>;

/** Expand variables in `text` from `scope`; unset variables expand to "". */
export function expandWord(text: string, scope: Scope): string {
  return text.replace(
    VARIABLE,
    (_m, braced: string | undefined, colon: string, op: string | undefined, word: string, bare: string | undefined) => {
      const name = (braced ?? bare) as string;
      const value = scope.get(name);
      const set = value !== undefined;
      const nonEmpty = set && value !== "";
      const present = colon === ":" ? nonEmpty : set;
      switch (op) {
        case "-":
          return present ? (value as string) : expandWord(word, scope);
        case "+":
          return present ? expandWord(word, scope) : "";
        case "?":
          if (!present) throw new Error(word ? `${name}: ${word}` : `${name}: parameter not set`);
          return value as string;
        default:
          return value ?? "";
      }
    },
  );
}

/** `expandWord`, but a `${X:?msg}` failure leaves the text as written (the arg check reports it). */
export function expandOrKeep(text: string, scope: Scope): string {
  try {
    return expandWord(text, scope);
  } catch {
    return text;
  }
}
