/**
 * Secret hygiene (pure): which build args look like secrets, and how values are shown
 * where secrets must not appear (outputs, plans, logs).
 */
import type { Diagnostic } from "../dockerfile";

/** Placeholder shown instead of a secret build arg's value. */
export const REDACTED = "[secret]";

const SECRET_LIKE =
  /(secret|token|passw(or)?d|passwd|passphrase|api_?key|private_?key|(signing|encryption|session|master)_?key|credential|auth|(^|_)pat($|_)|database_?url|db_?url|dsn$|connection_?string|jwt|bearer)/i;

/** True for build arg names that look like they hold secrets (`NPM_TOKEN`, `DB_PASSWORD`, …). */
export function isSecretLikeName(name: string): boolean {
  return SECRET_LIKE.test(name);
}

/** A build arg name and the input property it was passed in. */
export interface BuildArgSource {
  readonly name: string;
  readonly property: string;
}

/** Refuse build args named like secrets (their values land in the image history and the state) unless allowed. */
export function validateBuildArgNames(
  sources: readonly BuildArgSource[],
  allowSecretLike: boolean,
  diagnostics: Diagnostic[],
): void {
  if (allowSecretLike) return;
  for (const { name, property } of sources) {
    if (!isSecretLikeName(name)) continue;
    diagnostics.push({
      severity: "error",
      code: "secret-build-arg",
      property,
      arg: name,
      message: `build arg ${name} looks like a secret; build arg values are stored in the image history and in the Pulumi state.`,
      hint: `Pass it as a secret instead: secrets: { ${name}: … }, read in the Dockerfile with RUN --mount=type=secret,id=${name}. Or set allowSecretLikeBuildArgs if ${name} is not secret.`,
    });
  }
}

/** A build arg whose value is secret: named in `secretNames` (Pulumi secrets, secret config), or secret-like. */
function isSecretArg(name: string, secretNames: ReadonlySet<string> | readonly string[]): boolean {
  const named = Array.isArray(secretNames)
    ? secretNames.includes(name)
    : (secretNames as ReadonlySet<string>).has(name);
  return named || isSecretLikeName(name);
}

/** `buildArgs` with the values of `secretNames` and of secret-like names replaced by `REDACTED`. */
export function redactBuildArgs(
  buildArgs: Readonly<Record<string, string>>,
  secretNames: ReadonlySet<string> = new Set(),
): Record<string, string> {
  return Object.fromEntries(Object.entries(buildArgs).map(([k, v]) => [k, isSecretArg(k, secretNames) ? REDACTED : v]));
}

/** The values of the secret build args of `buildArgs` (see `redactBuildArgs`): what must be scrubbed elsewhere. */
export function secretArgValues(
  buildArgs: Readonly<Record<string, string>> | undefined,
  secretNames: ReadonlySet<string> | readonly string[],
): string[] {
  return Object.entries(buildArgs ?? {})
    .filter(([name]) => isSecretArg(name, secretNames))
    .map(([, value]) => value);
}

/** Secret values shorter than this are not searched for inside other strings (they would match anywhere). */
export const MIN_SCRUBBED_LENGTH = 4;

/**
 * `value` with every occurrence of each secret string replaced by `REDACTED`, deeply
 * (strings inside arrays and objects): for values derived from secrets, such as an
 * external image substituted from a secret arg, or a warning that quotes it.
 */
export function scrubSecrets<T>(value: T, secrets: readonly string[]): T {
  const needles = [...new Set(secrets.filter((s) => s.length >= MIN_SCRUBBED_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  if (needles.length === 0) return value;
  const scrub = (v: unknown): unknown => {
    if (typeof v === "string") return needles.reduce((text, secret) => text.split(secret).join(REDACTED), v);
    if (Array.isArray(v)) return v.map(scrub);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
    return v;
  };
  return scrub(value) as T;
}

/** A `RUN --mount` of the target, with where it is. */
type Mount = { id: string; required: boolean; line: number; stage: string };

/** What differs between secret and SSH mounts: codes, properties and words. */
interface MountKind {
  missing: "missing-secret" | "missing-ssh";
  unused: "unused-secret" | "unused-ssh";
  /** Property of a missing mount's input, and of the i-th given one. */
  missingProperty(id: string): string;
  givenProperty(id: string, index: number): string;
  /** `the secret "X"`, `the SSH agent "X"`. */
  noun(id: string): string;
  missingRequired: string;
  missingOptional: string;
  unusedEffect: string;
  addHint(id: string): string;
  readHint(id: string): string;
}

/** Every mount of the target against the inputs given: a required one missing is an error, an optional one a warning, one given that nothing mounts a warning. */
function validateMounts(
  kind: MountKind,
  mounts: readonly Mount[],
  given: readonly string[],
  file: string,
  diagnostics: Diagnostic[],
): void {
  const provided = new Set(given);
  const mounted = new Set(mounts.map((m) => m.id));
  for (const mount of mounts) {
    if (provided.has(mount.id)) continue;
    diagnostics.push({
      severity: mount.required ? "error" : "warning",
      code: kind.missing,
      file,
      line: mount.line,
      stage: mount.stage,
      property: kind.missingProperty(mount.id),
      message: `RUN mounts the ${mount.required ? "required " : ""}${kind.noun(mount.id)}, ${mount.required ? kind.missingRequired : kind.missingOptional}`,
      hint: kind.addHint(mount.id),
    });
  }
  given.forEach((id, index) => {
    if (mounted.has(id)) return;
    diagnostics.push({
      severity: "warning",
      code: kind.unused,
      property: kind.givenProperty(id, index),
      message: `no RUN of this target mounts the ${kind.noun(id)}; ${kind.unusedEffect}`,
      hint: kind.readHint(id),
    });
  });
}

const SECRET_MOUNTS: MountKind = {
  missing: "missing-secret",
  unused: "unused-secret",
  missingProperty: (id) => `secrets.${id}`,
  givenProperty: (id) => `secrets.${id}`,
  noun: (id) => `secret "${id}"`,
  missingRequired: "which is not given, so the build fails.",
  missingOptional: "which is not given: the RUN sees no file.",
  unusedEffect: "it has no effect.",
  addHint: (id) => `Add secrets: { ${id}: <a pulumi.secret value> }.`,
  readHint: (id) => `Read it with RUN --mount=type=secret,id=${id}, or remove it.`,
};

const SSH_MOUNTS: MountKind = {
  missing: "missing-ssh",
  unused: "unused-ssh",
  missingProperty: () => "ssh",
  givenProperty: (_id, index) => `ssh[${index}]`,
  noun: (id) => `SSH agent "${id}"`,
  missingRequired: "which is not forwarded, so the build fails.",
  missingOptional: "which is not forwarded: the RUN sees no agent socket.",
  unusedEffect: "forwarding it has no effect.",
  addHint: (id) =>
    `Add ssh: [{ id: "${id}" }] (the agent at $SSH_AUTH_SOCK), or { id: "${id}", paths: ["<key file>"] }.`,
  readHint: (id) => `Read it with RUN --mount=type=ssh${id === "default" ? "" : `,id=${id}`}, or remove it.`,
};

/** Check the secrets given against the ones the target's stages mount: a required one missing fails the build. */
export function validateSecretMounts(
  mounts: readonly Mount[],
  given: readonly string[],
  file: string,
  diagnostics: Diagnostic[],
): void {
  validateMounts(SECRET_MOUNTS, mounts, [...new Set(given)], file, diagnostics);
}

/**
 * Every `RUN --mount=type=ssh` of the target against the forwardings given (`ssh`): a required
 * one not given is an error, an optional one a warning; a forwarding no RUN mounts is a warning.
 */
export function validateSshMounts(
  mounts: readonly Mount[],
  given: readonly string[],
  file: string,
  diagnostics: Diagnostic[],
): void {
  validateMounts(SSH_MOUNTS, mounts, given, file, diagnostics);
}
