/**
 * The one rule for credentials in text: what counts as one (`findCredential`) and how a text is
 * shown without any (`redactCredentials`). Every quoted value (`excerpt`), every diagnostic, a
 * registry's answer, a child process's output and the fields that must not carry one are checked
 * with it, so no layer keeps a list of its own. Pure, no dependencies: the lowest layer owns it.
 */

/** What replaces a credential in a shown text. */
export const REDACTED_CREDENTIAL = "[redacted]";

/** One kind of credential: what finds it, how it is named in a message, and what replaces it. */
interface CredentialShape {
  readonly what: string;
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

/** URL schemes whose user alone (no password) is a login name, not a secret: `ssh://git@host/…`. */
const USER_IS_A_NAME = /^(ssh|git\+ssh|ssh\+git|sftp)$/i;

const SHAPES: readonly CredentialShape[] = [
  {
    what: "a private key",
    pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g,
    replace: () => "[redacted private key]",
  },
  {
    // `scheme://user@host`, `scheme://user:password@host`: a token is often the user alone.
    what: "a user or password in a URL",
    pattern: /\b([a-z][a-z0-9+.-]*):\/\/([^\s/@?#"'<>]+)@(?=[^\s/@]*[a-z0-9\]])/gi,
    replace: (match, scheme: string, userinfo: string) =>
      USER_IS_A_NAME.test(scheme) && !userinfo.includes(":") ? match : `${scheme}://${REDACTED_CREDENTIAL}@`,
  },
  {
    // A reference without a scheme (`user:password@registry.example.com/app`, `ref=user:pw@host/x`).
    what: "a user and password in a reference",
    pattern: /(^|[\s=,;("'])([^\s/@:=,;()"']+):([^\s/@]+)@(?=[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d+)?\/)/gi,
    replace: (_match, before: string) => `${before}${REDACTED_CREDENTIAL}@`,
  },
  {
    what: "a token in a URL's query",
    pattern:
      /([?&;](?:[a-z0-9_.-]*token|access_?key|api_?key|apikey|auth|key|secret|password|passwd|pwd|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|sv|se|sp|code|client_secret)=)[^\s&#"'<>;,]+/gi,
    replace: (_match, name: string) => `${name}${REDACTED_CREDENTIAL}`,
  },
  {
    what: "an Authorization value",
    pattern: /\b(Basic|Bearer|Token)\s+[A-Za-z0-9+/=._~-]{8,}/g,
    replace: (_match, scheme: string) => `${scheme} ${REDACTED_CREDENTIAL}`,
  },
  {
    what: "a credential value",
    pattern:
      /\b((?:proxy-)?authorization|x-registry-auth|identitytoken|registrytoken|auth|token|password|passwd|secret|access_token|refresh_token|client_secret|(?:aws_)?secret_access_key|session_token)(["']?\s*[:=]\s*["']?)(?!\[redacted)[^"'\s,;}&]{4,}/gi,
    replace: (_match, name: string, sep: string) => `${name}${sep}${REDACTED_CREDENTIAL}`,
  },
  {
    // Tokens whose shape names their issuer: GitHub, GitLab, npm, Slack, AWS access keys, JWTs.
    what: "a token",
    pattern:
      /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})\b/g,
    replace: () => REDACTED_CREDENTIAL,
  },
];

/**
 * What kind of credential `text` carries (`"a user or password in a URL"`), or undefined: a
 * URL's user or password (a user alone too: `https://<token>@host`; not `ssh://git@host`), a
 * reference's `user:password@`, a query token, an Authorization/Basic/Bearer value, a PEM private
 * key, a named credential value (`password=…`), or a token whose shape names its issuer. The
 * credential itself is never in the answer.
 */
export function findCredential(text: string): string | undefined {
  for (const shape of SHAPES) {
    shape.pattern.lastIndex = 0;
    for (const match of text.matchAll(shape.pattern)) {
      const groups = match.slice(1).map((g) => g ?? "");
      if (shape.replace(match[0], ...groups) !== match[0]) return shape.what;
    }
  }
  return undefined;
}

/**
 * `text` as any message, log line or kept field may show it: every credential `findCredential`
 * knows replaced, and every one of `secrets` (values the caller knows are secret: a password, its
 * base64 form, a key) too. Values shorter than four characters are not searched for.
 */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text;
  const known = [...new Set(secrets.filter((s) => typeof s === "string" && s.length >= 4))].sort(
    (a, b) => b.length - a.length,
  );
  for (const secret of known) out = out.split(secret).join(REDACTED_CREDENTIAL);
  for (const shape of SHAPES)
    out = out.replace(shape.pattern, (...args: unknown[]) =>
      shape.replace(String(args[0]), ...args.slice(1).map((a) => (typeof a === "string" ? a : ""))),
    );
  return out;
}
