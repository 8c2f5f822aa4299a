/**
 * What an environment does with an image before it gets the release tags (pure): sign it,
 * verify the signature it must already carry, attach its SBOM and provenance as referrers,
 * and run the release gate. Each is checked here, with the property at fault.
 */
import type { Diagnostic } from "../dockerfile";
import type { AttestationSpec, AttestationStore } from "./builder";
import { type EnvironmentArgs, type EnvironmentKind, type ReleaseGateArgs, settingPath } from "./environments";
import { describeValue } from "./fields";

/** What the component knows of `signing` (the key's value never enters a plan). */
export interface SigningContext {
  /** A private key was given: this environment signs what it releases. */
  readonly key: boolean;
  /** Public keys (PEM text or a file path) trusted besides the key's own. */
  readonly publicKeys: readonly string[];
}

/** The release steps of one environment, as a plan carries them. */
export interface ReleaseSpec {
  /** Sign the image (cosign's format, in the registry beside it) with the inputs hash and environment. */
  sign: boolean;
  /**
   * Refuse an image this environment did not build unless it carries a signature by a trusted key
   * with its inputs hash: production, and environments that promote.
   */
  verify: boolean;
  /** Public keys (PEM text or paths) trusted besides the signing key's own. */
  publicKeys: string[];
  /** The release gate, and where it is set. */
  gate?: { command: string; timeoutSeconds: number; property: string };
}

/** PEM text of a public key, or else a path to one. */
export function isPemKey(value: string): boolean {
  return /-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(value);
}

/** Whether `value` holds a PEM private key (of any kind): never a public key's place. */
export function holdsPrivateKey(value: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(value);
}

/** The first PEM public key block of `text` alone (a file may hold comments, or other blocks). */
export function publicKeyBlock(text: string): string | undefined {
  return /-----BEGIN ([A-Z ]*)PUBLIC KEY-----[\s\S]*?-----END \1PUBLIC KEY-----/.exec(text)?.[0];
}

/**
 * The release steps of environment `key`: signing when a key is given (unless the environment
 * turns it off), verification in production and where it promotes (when there is a key to trust),
 * and the release gate.
 */
export function planRelease(
  signing: SigningContext | undefined,
  key: string,
  settings: EnvironmentArgs,
  kind: EnvironmentKind,
  diagnostics: Diagnostic[],
): ReleaseSpec | undefined {
  const on = signing !== undefined && settings.signing !== false;
  const trusted = on ? [...signing.publicKeys] : [];
  const sign = on && signing.key;
  const verify = (kind === "production" || settings.promoteFrom !== undefined) && (sign || trusted.length > 0);
  if (settings.signing === true && !signing)
    diagnostics.push({
      severity: "error",
      code: "invalid-release",
      property: settingPath(key, "signing"),
      message: "is true, but the component has no signing key or public key to sign or verify with.",
      hint: 'Give the component signing: { key: config.requireSecret("cosignKey") } (a cosign private key), or publicKeys to verify with.',
    });
  const gate = settings.releaseGate === undefined ? undefined : planGate(settings.releaseGate, key, diagnostics);
  if (!sign && !verify && !gate) return undefined;
  return { sign, verify, publicKeys: trusted, ...(gate ? { gate } : {}) };
}

function planGate(gate: ReleaseGateArgs, key: string, diagnostics: Diagnostic[]): ReleaseSpec["gate"] {
  const property = settingPath(key, "releaseGate");
  const before = diagnostics.length;
  if (typeof gate.command !== "string" || gate.command.trim() === "")
    diagnostics.push({
      severity: "error",
      code: "invalid-release",
      property: `${property}.command`,
      message: "is empty: a release gate needs a command to run.",
      hint: 'Give the command that checks the image, e.g. "grype \\"$MULTISTAGE_IMAGE\\" --fail-on high", or remove releaseGate.',
    });
  const timeout = gate.timeoutSeconds ?? 600;
  if (!Number.isInteger(timeout) || timeout <= 0 || timeout > 86_400)
    diagnostics.push({
      severity: "error",
      code: "invalid-release",
      property: `${property}.timeoutSeconds`,
      message: `${describeValue(gate.timeoutSeconds)} is not a number of seconds from 1 to 86400.`,
      hint: "Give whole seconds, e.g. 600 (the default).",
    });
  return diagnostics.length === before ? { command: gate.command, timeoutSeconds: timeout, property } : undefined;
}

/**
 * Where this environment's attestations go: `store` as given, else beside the image when it is
 * signed (one manifest, signed statements) and in the index otherwise (as before `store` existed).
 * Referrers need a key to sign the statements with.
 */
export function attestationStore(
  attestations: AttestationSpec,
  store: AttestationStore | undefined,
  release: ReleaseSpec | undefined,
  property: string,
  diagnostics: Diagnostic[],
): AttestationSpec {
  const none = attestations.provenance === false && !attestations.sbom;
  if (none) return attestations;
  const chosen = store ?? (release?.sign ? "referrers" : "index");
  if (chosen === "referrers" && !release?.sign)
    diagnostics.push({
      severity: "error",
      code: "invalid-release",
      property: `${property}.store`,
      message:
        'is "referrers", but this environment signs nothing: an attestation beside the image is a signed statement.',
      hint: 'Give the component signing: { key } (a cosign private key), or store: "index" (the image becomes an index).',
    });
  return { ...attestations, store: chosen };
}
