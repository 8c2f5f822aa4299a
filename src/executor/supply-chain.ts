/**
 * Signatures, attestations and SBOMs of pushed images, with the real tools: `cosign` (Sigstore's
 * format, stored in the registry beside the image under `sha256-<digest>.sig` / `.att`, what
 * `cosign verify` and admission controllers read) and `syft` (the SBOM, SPDX JSON). Key-based and
 * offline: no transparency log, no Fulcio, no Sigstore TUF root (an empty trusted root is given,
 * so nothing is fetched from outside). The private key only ever travels in an environment
 * variable (`env://`), never in a file or an argument.
 */
import * as fs from "fs";
import * as path from "path";
import { isPemKey, registryHost } from "../plan";
import { decodeAuth, loginSecretForms } from "../registry";
import { DockerCommandError, type ExecutorStep, runProcess } from "./process";
import { isLoopbackRegistry } from "../registry";

/** A cosign private key (PEM) and its password: secrets. */
export interface SigningKey {
  readonly key: string;
  readonly keyPassword?: string;
}

/** One signature on an image, as `cosign verify` reports it: its annotations (ours carry the inputs hash). */
export interface ImageSignature {
  readonly annotations: Readonly<Record<string, string>>;
}

/** What verifying an image found. */
export interface Verification {
  /** A signature by a trusted key with the annotations asked for. */
  readonly verified: boolean;
  /** The signatures that verified against a trusted key (with any annotations). */
  readonly signatures: readonly ImageSignature[];
  /** What cosign said when none did. */
  readonly detail: string;
}

/** The in-toto predicate types of the attestations made here. */
export const PREDICATE_TYPES = {
  sbom: "https://spdx.dev/Document",
  provenance: "https://slsa.dev/provenance/v0.2",
} as const;

/** cosign's `--type` for each. */
const COSIGN_TYPES = { sbom: "spdxjson", provenance: "slsaprovenance02" } as const;

export type AttestationKind = keyof typeof PREDICATE_TYPES;

export interface SupplyChainOptions {
  /** The cosign binary. @default `$MULTISTAGE_COSIGN`, else `cosign` on PATH */
  cosign?: string;
  /** The syft binary. @default `$MULTISTAGE_SYFT`, else `syft` on PATH */
  syft?: string;
  /** Environment for both. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** The Docker config directory holding the registry's login (the executor's private one). */
  dockerConfig: string;
}

/** The environment variables the private key and its password travel in. */
const KEY_VARIABLE = "MULTISTAGE_COSIGN_KEY";

/** cosign and syft, run with one registry login. */
export class SupplyChain {
  private readonly env: NodeJS.ProcessEnv;
  private readonly cosignBinary: string;
  private readonly syftBinary: string;
  private readonly dir: string;

  constructor(options: SupplyChainOptions) {
    const env = options.env ?? process.env;
    this.cosignBinary = options.cosign ?? env.MULTISTAGE_COSIGN ?? "cosign";
    this.syftBinary = options.syft ?? env.MULTISTAGE_SYFT ?? "syft";
    this.dir = options.dockerConfig;
    this.env = {
      ...env,
      DOCKER_CONFIG: options.dockerConfig,
      // Never asked for a password on a terminal; never an update check.
      COSIGN_PASSWORD: "",
      SYFT_CHECK_FOR_APP_UPDATE: "false",
      TUF_ROOT: path.join(options.dockerConfig, "sigstore"),
    };
  }

  /** The public key (PEM) of `key`. */
  async publicKey(key: SigningKey): Promise<string> {
    return this.cosign(["public-key", "--key", `env://${KEY_VARIABLE}`], "sign", key, { stdoutOnly: true });
  }

  /**
   * Sign `image` (`<repository>@<digest>`) with `key`; the annotations go in the signed payload
   * (`dev.multistage.inputs`, `dev.multistage.environment`).
   */
  async sign(image: string, key: SigningKey, annotations: Readonly<Record<string, string>>): Promise<void> {
    await this.cosign(
      [
        "sign",
        "--yes",
        "--tlog-upload=false",
        "--key",
        `env://${KEY_VARIABLE}`,
        ...Object.entries(annotations).flatMap(([k, v]) => ["-a", `${k}=${v}`]),
        image,
      ],
      "sign",
      key,
    );
  }

  /**
   * Whether `image` carries a signature by one of `publicKeys` (PEM text or paths) with every
   * one of `annotations`. A missing signature, another key's or other annotations: not verified.
   */
  async verify(
    image: string,
    publicKeys: readonly string[],
    annotations: Readonly<Record<string, string>> = {},
  ): Promise<Verification> {
    const details: string[] = [];
    for (const publicKey of publicKeys) {
      const out = await this.cosign(
        [
          "verify",
          ...this.offline(),
          "--key",
          this.keyFile(publicKey),
          "--output",
          "json",
          ...Object.entries(annotations).flatMap(([k, v]) => ["-a", `${k}=${v}`]),
          image,
        ],
        "verify",
        undefined,
        { allowFailure: true, stdoutOnly: false },
      );
      const payloads = parseJsonArray(out);
      if (payloads) {
        const signatures = payloads.map((p) => ({ annotations: stringRecord((p as { optional?: unknown }).optional) }));
        return { verified: true, signatures, detail: "" };
      }
      details.push(cosignError(out));
    }
    return { verified: false, signatures: [], detail: [...new Set(details)].join("; ") };
  }

  /** The predicate types of the attestations attached to `image` (by any key). */
  async attestationTypes(image: string): Promise<string[]> {
    const out = await this.cosign(["download", "attestation", image], "attest", undefined, {
      allowFailure: true,
      stdoutOnly: true,
    });
    const types: string[] = [];
    for (const line of out.split("\n")) {
      if (!line.trim().startsWith("{")) continue;
      try {
        const envelope = JSON.parse(line) as { payload?: string };
        const statement = JSON.parse(Buffer.from(envelope.payload ?? "", "base64").toString()) as {
          predicateType?: string;
        };
        if (statement.predicateType) types.push(statement.predicateType);
      } catch {
        // Not an attestation envelope.
      }
    }
    return types;
  }

  /** Attach `predicate` (JSON) to `image` as a signed in-toto attestation of `kind`. */
  async attest(image: string, key: SigningKey, kind: AttestationKind, predicate: string): Promise<void> {
    const file = this.privateFile(`predicate-${kind}.json`, predicate);
    try {
      await this.cosign(
        [
          "attest",
          "--yes",
          "--tlog-upload=false",
          "--key",
          `env://${KEY_VARIABLE}`,
          "--type",
          COSIGN_TYPES[kind],
          "--predicate",
          file,
          image,
        ],
        "attest",
        key,
      );
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** The SPDX JSON SBOM of `image` (`<repository>@<digest>`), read from the registry by syft. */
  async sbom(image: string): Promise<string> {
    const out = await runProcess(
      this.syftBinary,
      ["scan", `registry:${image}`, "--output", "spdx-json", "--quiet"],
      { ...this.env, SYFT_REGISTRY_INSECURE_USE_HTTP: String(isLoopbackRegistry(registryHost(image))) },
      { step: "sbom", stdoutOnly: true, label: "syft" },
    ).catch((err: unknown) => {
      throw missingTool(err, this.syftBinary, "syft", "MULTISTAGE_SYFT");
    });
    JSON.parse(out); // an SBOM, or the failure says so
    return out;
  }

  /**
   * The release gate: `command` by `/bin/sh -c` in `cwd`, with the image's reference in
   * `MULTISTAGE_IMAGE` (and `variables`) and this login's `DOCKER_CONFIG`; its output, or its
   * failure (exit code, output's tail, or the timeout).
   */
  async gate(
    command: string,
    variables: Readonly<Record<string, string>>,
    options: { cwd?: string; timeoutMs: number; secrets?: readonly string[] },
  ): Promise<string> {
    return runProcess(
      "/bin/sh",
      ["-c", command],
      { ...this.env, ...variables },
      {
        step: "release gate",
        label: "release gate:",
        quiet: true,
        cwd: options.cwd,
        timeoutMs: options.timeoutMs,
        // It can read the login (DOCKER_CONFIG) and this process's environment: none of it is shown.
        secrets: [...(options.secrets ?? []), ...this.loginSecrets()],
      },
    );
  }

  /** The logins in this run's Docker config (their `auth` values and what they decode to), for scrubbing. */
  private loginSecrets(): string[] {
    try {
      const config = JSON.parse(fs.readFileSync(path.join(this.dir, "config.json"), "utf8")) as {
        auths?: Record<string, { auth?: string }>;
      };
      return Object.values(config.auths ?? {}).flatMap(({ auth }) => {
        const login = auth ? decodeAuth(auth) : undefined;
        return auth && login ? [auth, ...loginSecretForms({ server: "", ...login })] : [];
      });
    } catch {
      return [];
    }
  }

  /** Key-based verification without Sigstore's public roots: an empty trusted root, no log. */
  private offline(): string[] {
    const root = this.privateFile(
      "trusted-root.json",
      JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" }),
    );
    return ["--insecure-ignore-tlog=true", "--trusted-root", root];
  }

  /** A public key's file: the path given, or its PEM text written to this run's directory. */
  private keyFile(publicKey: string): string {
    if (!isPemKey(publicKey)) return publicKey;
    const name = `key-${Buffer.from(publicKey).toString("base64url").slice(-24)}.pub`;
    return this.privateFile(name, publicKey);
  }

  private privateFile(name: string, content: string): string {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return file;
  }

  private async cosign(
    args: string[],
    step: ExecutorStep,
    key: SigningKey | undefined,
    options: { allowFailure?: boolean; stdoutOnly?: boolean } = {},
  ): Promise<string> {
    const env = key ? { ...this.env, [KEY_VARIABLE]: key.key, COSIGN_PASSWORD: key.keyPassword ?? "" } : this.env;
    try {
      return await runProcess(this.cosignBinary, args, env, {
        ...options,
        step,
        label: "cosign",
        quiet: true,
        secrets: key ? [key.key, key.keyPassword ?? ""] : [],
      });
    } catch (err) {
      // The key's password is wrong (or missing): said as the args name it, not as cosign's text.
      if (
        key &&
        err instanceof DockerCommandError &&
        /decrypt|decryption failed|incorrect passphrase/i.test(err.output)
      )
        throw new Error(
          `signing.keyPassword does not open signing.key (cosign could not decrypt it${key.keyPassword ? "" : "; no keyPassword was given"}). Give the password the key was made with (cosign generate-key-pair asks for it), as a secret.`,
        );
      // The registry keeps the signature tag immutable (ECR's TAG_INVALID): decided on the code cosign prints.
      const held =
        err instanceof DockerCommandError && /TAG_INVALID/.test(err.output) && SIGNATURE_TAG.exec(err.output);
      if (held)
        throw new Error(
          `the registry refused ${held[0]} (TAG_INVALID): it keeps that tag immutable, and cosign (v2) adds each signature or attestation by putting its sha256-<digest>.sig / .att tag again once one is there. Let sha256-* tags move in that repository: an exclusion filter sha256-* (ECR: IMMUTABLE_WITH_EXCLUSION, e.g. aws ecr put-image-tag-mutability --image-tag-mutability IMMUTABLE_WITH_EXCLUSION --image-tag-mutability-exclusion-filters filterType=WILDCARD,filter=sha256-*); a repository this component creates for a signing environment has it.`,
        );
      throw missingTool(err, this.cosignBinary, "cosign", "MULTISTAGE_COSIGN");
    }
  }
}

/** A cosign (v2) signature or attestation tag: `sha256-<hex>.sig`, `.att`, `.sbom`. */
const SIGNATURE_TAG = /sha256-[0-9a-f]{64}\.(sig|att|sbom)\b/;

/** A tool that is not installed, said with how to get it; any other failure as it is. */
function missingTool(err: unknown, binary: string, tool: string, variable: string): unknown {
  if (err instanceof DockerCommandError && err.exitCode === null && /ENOENT/.test(err.output))
    return new Error(
      `${tool} is not installed (${binary} was not found): signing, SBOMs and attestations run the real ${tool}. Install it on the machine running pulumi up, or set ${variable} to its path (this repo builds it with scripts/supply-chain-tools.sh).`,
    );
  return err;
}

/** The JSON array cosign prints on success, or undefined. */
function parseJsonArray(out: string): unknown[] | undefined {
  const line = out.split("\n").find((l) => l.trim().startsWith("[{"));
  if (!line) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** cosign's own reason (`no signatures found`, `invalid signature…`), without its warnings. */
function cosignError(out: string): string {
  const line = out.split("\n").find((l) => l.startsWith("Error: "));
  return line ? line.slice("Error: ".length) : out.trim().split("\n").slice(-1)[0] || "cosign verify failed";
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"));
}
