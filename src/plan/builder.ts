/**
 * Where and how BuildKit builds (pure): the builder (a buildx builder's name or a BuildKit
 * endpoint), the target platforms, the registry cache per target and environment,
 * attestations and SSH forwarding. Each is checked here, with the property at fault.
 */
import type { Diagnostic } from "../dockerfile";
import { sha256 } from "./digest";
import { isValidTag } from "./image-ref";

/** TLS files for a `tcp://` BuildKit endpoint (paths on the machine running `pulumi up`). */
export interface BuilderTlsArgs {
  /** CA certificate the daemon's certificate is checked against. */
  readonly caCert?: string;
  /** Client certificate. */
  readonly cert?: string;
  /** Client key. */
  readonly key?: string;
  /** Server name to check in the daemon's certificate. @default the endpoint's host */
  readonly serverName?: string;
}

/** A BuildKit daemon to build on, by endpoint (a buildx `remote` builder is registered for it). */
export interface BuilderEndpointArgs {
  /** `tcp://host:port` or `unix:///path/to/buildkitd.sock`. */
  readonly endpoint: string;
  /** TLS files, for `tcp://` endpoints. */
  readonly tls?: BuilderTlsArgs;
}

/** The builder as a plan carries it. */
export interface BuilderSpec {
  /** An existing buildx builder (`docker buildx ls`). */
  readonly name?: string;
  /** A BuildKit endpoint, for which a `remote` builder is registered. */
  readonly endpoint?: string;
  readonly tls?: BuilderTlsArgs;
}

/** The registry cache of one build: tags in the image's own repository. */
export interface CacheSpec {
  /** Tag the build's cache is exported to (`cache-<target>-<env>`). */
  readonly to: string;
  /** Tags read before building: the own one first, then other environments'. */
  readonly from: string[];
  /** `max` exports every stage's layers (the intermediate ones too); `min` only the image's. */
  readonly mode: "min" | "max";
  /**
   * For an index of several platforms built across a builder's nodes (one build per platform):
   * each platform's own cache (`cache-<target>-<env>-linux-arm64`), read first, then `from`.
   */
  readonly platforms?: Readonly<Record<string, { readonly to: string; readonly from: readonly string[] }>>;
}

/** Registry cache settings (`registryCache`). */
export interface RegistryCacheArgs {
  /** Which layers are exported. @default "max" */
  readonly mode?: "min" | "max";
  /**
   * Other environments whose caches this build reads too (their `cache-<target>-<env>`
   * tags), e.g. production reading dev's builder stage; `false` reads only its own, `true` every other.
   * @default every other environment named in `environments`
   */
  readonly fromEnvironments?: readonly string[] | boolean;
}

/** Attestations attached to the pushed image (they make it an index). */
export interface AttestationArgs {
  /** SLSA provenance: `true` (mode max), `"min"`, `"max"` or `false`. @default false */
  readonly provenance?: boolean | "min" | "max";
  /** An SPDX SBOM. @default false */
  readonly sbom?: boolean;
  /**
   * Where they go: `"referrers"` keeps the image one manifest (what ECS and Lambda take) and
   * attaches them as signed in-toto attestations beside it (needs `signing.key`); `"index"` has
   * BuildKit push them with the image, which makes it an index.
   * @default "referrers" when the environment signs, else "index"
   */
  readonly store?: AttestationStore;
}

/**
 * Where attestations go. `"index"`: BuildKit pushes them with the image, which then is an index
 * (Lambda and some ECS setups refuse one). `"referrers"`: the image stays one manifest, and its
 * SBOM and provenance are signed in-toto attestations beside it (cosign's format), which needs a
 * signing key.
 */
export type AttestationStore = "index" | "referrers";

/** Attestations as a plan carries them. */
export interface AttestationSpec {
  readonly provenance: false | "min" | "max";
  readonly sbom: boolean;
  /** Where they go, once the environment's signing is known (`attestationStore`); absent when there are none. */
  readonly store?: AttestationStore;
}

/** One SSH forwarding for `RUN --mount=type=ssh,id=<id>`. */
export interface SshArgs {
  /** The mount's id. @default "default" in Dockerfiles */
  readonly id: string;
  /** An agent socket or private key files. @default [$SSH_AUTH_SOCK] */
  readonly paths?: readonly string[];
}

/** A platform as BuildKit names it: `os/arch` or `os/arch/variant`. */
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;
const BUILDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENDPOINT = /^(tcp:\/\/[^/\s]+(:\d+)?|unix:\/\/\/\S+)$/;

/** True when `builder` names a BuildKit endpoint (a URL or `{ endpoint }`), not a buildx builder. */
export function isBuilderEndpoint(builder: string | BuilderEndpointArgs): boolean {
  return typeof builder === "object" || /^[a-z]+:\/\//.test(builder);
}

/** The builder named by `builder` (`"name"`, `"tcp://…"`, `"unix://…"` or `{ endpoint, tls }`), checked. */
export function builderSpec(
  builder: string | BuilderEndpointArgs | undefined,
  diagnostics: Diagnostic[],
): BuilderSpec | undefined {
  if (builder === undefined) return undefined;
  const problem = (property: string, message: string, hint: string): undefined => {
    diagnostics.push({ severity: "error", code: "invalid-builder", property, message, hint });
    return undefined;
  };
  if (typeof builder === "string") {
    if (isBuilderEndpoint(builder)) return builderSpec({ endpoint: builder }, diagnostics);
    if (!BUILDER_NAME.test(builder)) {
      return problem(
        "builder",
        `"${builder}" is neither a buildx builder name nor a BuildKit endpoint.`,
        'Name a builder from `docker buildx ls`, or give an endpoint such as "tcp://buildkit.internal:1234" or "unix:///run/buildkit/buildkitd.sock".',
      );
    }
    return { name: builder };
  }
  if (!ENDPOINT.test(builder.endpoint)) {
    return problem(
      "builder.endpoint",
      `"${builder.endpoint}" is not a BuildKit endpoint this package can reach.`,
      'Use "tcp://host:port" or "unix:///absolute/path.sock" (for other drivers, create a builder with `docker buildx create` and pass its name).',
    );
  }
  if (builder.tls && builder.endpoint.startsWith("unix://")) {
    return problem("builder.tls", "applies to tcp:// endpoints only.", "Remove tls, or use a tcp:// endpoint.");
  }
  if (builder.tls && (builder.tls.cert === undefined) !== (builder.tls.key === undefined)) {
    return problem(
      "builder.tls",
      "has a client certificate without its key, or a key without its certificate.",
      "Give both cert and key, or neither.",
    );
  }
  return { endpoint: builder.endpoint, ...(builder.tls ? { tls: builder.tls } : {}) };
}

/** The platforms of a build, checked: `property` names where they came from. */
export function validatePlatforms(platforms: readonly string[], property: string, diagnostics: Diagnostic[]): void {
  platforms.forEach((platform, i) => {
    if (PLATFORM.test(platform)) return;
    diagnostics.push({
      severity: "error",
      code: "invalid-platform",
      property: `${property}[${i}]`,
      message: `"${platform}" is not a platform.`,
      hint: 'Write os/arch or os/arch/variant, e.g. "linux/amd64", "linux/arm64", "linux/arm/v7".',
    });
  });
  const seen = new Set<string>();
  for (const platform of platforms) {
    if (seen.has(platform)) {
      diagnostics.push({
        severity: "error",
        code: "invalid-platform",
        property,
        message: `names "${platform}" twice.`,
        hint: "List each platform once.",
      });
    }
    seen.add(platform);
  }
}

/**
 * The one refusal of what the Docker engine's own builder cannot do: `<subject>needs a builder:
 * the Docker engine's own builder <why>.`, with the fix (`or` adds another one).
 */
export function needsBuilder(
  property: string,
  why: string,
  options: { subject?: string; or?: string; code?: "invalid-argument" | "invalid-cache" } = {},
): Diagnostic {
  return {
    severity: "error",
    code: options.code ?? "invalid-argument",
    property,
    message: `${options.subject ?? ""}needs a builder: the Docker engine's own builder ${why}.`,
    hint: `Set builder (a buildx builder or a BuildKit endpoint)${options.or ?? ""}.`,
  };
}

/** What every registry cache tag starts with (`cache-<target>-<env>`): no release tag may. */
export const CACHE_TAG_PREFIX = "cache-";

/**
 * The cache tag of `target` in environment `env`, built for `platforms`:
 * `cache-<target>-<env>` for the builder's own platform, `cache-<target>-<env>-linux-arm64`
 * (platforms joined by `_`) for named ones, so stacks building other platforms keep their own
 * caches. Squeezed into a valid tag (other characters as `-`); one longer than 128 characters
 * keeps its first 119 and a hash of the whole, so two long names stay apart.
 */
export function cacheTag(target: string, env: string, platforms: readonly string[] = []): string {
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[.-]+/, "");
  const parts = [clean(target), clean(env), ...(platforms.length ? [platforms.map(clean).join("_")] : [])];
  const whole = `${CACHE_TAG_PREFIX}${parts.join("-")}`;
  const tag = whole.length <= 128 ? whole : `${whole.slice(0, 119)}-${sha256(whole).slice(7, 15)}`;
  return isValidTag(tag) ? tag : "cache";
}

/**
 * Whether a build exports and reads the registry cache: the environment's `registryCache`,
 * else the component's, else on when a builder is set.
 */
export function registryCacheEnabled(
  global: boolean | RegistryCacheArgs | undefined,
  environment: boolean | undefined,
  builderSet: boolean,
): boolean {
  return environment ?? (global === undefined ? builderSet : global !== false);
}

/** The wildcard of the cache tags, e.g. for an ECR tag-mutability exclusion. */
export const CACHE_TAG_FILTER = `${CACHE_TAG_PREFIX}*`;

/** Attestation settings as a plan carries them; off unless asked for. */
export function attestationSpec(args: boolean | AttestationArgs | undefined): AttestationSpec {
  if (args === undefined || args === false) return { provenance: false, sbom: false };
  if (args === true) return { provenance: "max", sbom: true };
  const provenance = args.provenance === true ? "max" : (args.provenance ?? false);
  return { provenance, sbom: args.sbom ?? false };
}

/** The SSH forwardings, checked: ids BuildKit accepts, each once. */
export function validateSsh(ssh: readonly SshArgs[], diagnostics: Diagnostic[]): void {
  const seen = new Set<string>();
  ssh.forEach((entry, i) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(entry.id) || seen.has(entry.id)) {
      diagnostics.push({
        severity: "error",
        code: "invalid-ssh",
        property: `ssh[${i}].id`,
        message: seen.has(entry.id)
          ? `"${entry.id}" is forwarded twice.`
          : `"${entry.id}" is not an id BuildKit accepts.`,
        hint: 'Use letters, digits, "_", "." and "-", once each, as in RUN --mount=type=ssh,id=default.',
      });
    }
    seen.add(entry.id);
  });
}
