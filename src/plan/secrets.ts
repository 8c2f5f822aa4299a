/**
 * Secret hygiene (pure): which build args look like secrets, and how values are shown
 * where secrets must not appear (outputs, plans, logs).
 */
import type { Diagnostic } from "../dockerfile";

/** Placeholder shown instead of a secret build arg's value. */
export const REDACTED = "[secret]";

const SECRET_LIKE = /(secret|token|passw(or)?d|passwd|api_?key|private_?key|credential|auth)/i;

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

/** `buildArgs` with the values of `secretNames` and of secret-like names replaced by `REDACTED`. */
export function redactBuildArgs(
  buildArgs: Readonly<Record<string, string>>,
  secretNames: ReadonlySet<string> = new Set(),
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(buildArgs).map(([k, v]) => [k, secretNames.has(k) || isSecretLikeName(k) ? REDACTED : v]),
  );
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

/** Check the secrets given against the ones the target's stages mount: a required one missing fails the build. */
export function validateSecretMounts(
  mounts: ReadonlyArray<{ id: string; required: boolean; line: number; stage: string }>,
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
      code: "missing-secret",
      file,
      line: mount.line,
      stage: mount.stage,
      property: `secrets.${mount.id}`,
      message: mount.required
        ? `RUN mounts the required secret "${mount.id}", which is not given, so the build fails.`
        : `RUN mounts the secret "${mount.id}", which is not given: the RUN sees no file.`,
      hint: `Add secrets: { ${mount.id}: <a pulumi.secret value> }.`,
    });
  }
  for (const id of provided) {
    if (mounted.has(id)) continue;
    diagnostics.push({
      severity: "warning",
      code: "unused-secret",
      property: `secrets.${id}`,
      message: `no RUN of this target mounts the secret "${id}"; it has no effect.`,
      hint: `Read it with RUN --mount=type=secret,id=${id}, or remove it.`,
    });
  }
}

/**
 * Every `RUN --mount=type=ssh` of the target against the forwardings given (`ssh`): a required
 * one not given is an error, an optional one a warning; a forwarding no RUN mounts is a warning.
 */
export function validateSshMounts(
  mounts: ReadonlyArray<{ id: string; required: boolean; line: number; stage: string }>,
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
      code: "missing-ssh",
      file,
      line: mount.line,
      stage: mount.stage,
      property: "ssh",
      message: mount.required
        ? `RUN mounts the required SSH agent "${mount.id}", which is not forwarded, so the build fails.`
        : `RUN mounts the SSH agent "${mount.id}", which is not forwarded: the RUN sees no agent socket.`,
      hint: `Add ssh: [{ id: "${mount.id}" }] (the agent at $SSH_AUTH_SOCK), or { id: "${mount.id}", paths: ["<key file>"] }.`,
    });
  }
  given.forEach((id, i) => {
    if (mounted.has(id)) return;
    diagnostics.push({
      severity: "warning",
      code: "unused-ssh",
      property: `ssh[${i}]`,
      message: `no RUN of this target mounts the SSH agent "${id}"; forwarding it has no effect.`,
      hint: `Read it with RUN --mount=type=ssh${id === "default" ? "" : `,id=${id}`}, or remove it.`,
    });
  });
}
