/**
 * The Docker CLI's and buildx's arguments for a plan: pure, so tests compare them with the
 * providers' inputs, and the executor only runs them.
 */
import { createHash } from "crypto";
import * as path from "path";
import {
  BUILD_SETTINGS,
  type BuildPlan,
  type BuilderSpec,
  INPUTS_HASH_PLACEHOLDER,
  buildContextValue,
  cacheImage,
  isCacheEntry,
} from "../plan";

/** What changes a build's arguments beside the plan. */
export interface BuildFlags {
  /** Ignore the build cache (`--no-cache`). */
  noCache?: boolean;
  /** Files holding the build secrets, by id (`--secret id=…,src=…`). */
  secretFiles?: Readonly<Record<string, string>>;
}

/** `docker build` arguments for a plan, tagged `<repository>:<tag>` for each of its tags. */
export function buildArguments(plan: BuildPlan, repository: string, iidFile: string, flags: BuildFlags = {}): string[] {
  const args = ["build", "--progress=plain", "--file", plan.dockerfile, "--iidfile", iidFile];
  args.push(...planFlags(plan, flags));
  // The engine's builder reads registry caches by image name only (the plan allows no other here).
  for (const entry of plan.cacheFrom) args.push("--cache-from", cacheImage(entry) ?? entry);
  for (const tag of filledTags(plan)) args.push("--tag", `${repository}:${tag}`);
  args.push(plan.context);
  return args;
}

/**
 * `podman build` / `buildah build` arguments for a plan: the Docker CLI's flags where the engines
 * take the same ones (Buildah reads Dockerfiles as BuildKit does), their layer cache on, OCI
 * manifests, and the closure's ignore file named (they read `<Dockerfile>.dockerignore` only when told).
 */
export function engineBuildArguments(
  plan: BuildPlan,
  repository: string,
  iidFile: string,
  flags: BuildFlags & { ignoreFile?: string } = {},
): string[] {
  const args = ["build", "--layers", "--format", "oci", "--file", plan.dockerfile, "--iidfile", iidFile];
  if (flags.ignoreFile) args.push("--ignorefile", flags.ignoreFile);
  args.push(...planFlags(plan, flags));
  for (const tag of filledTags(plan)) args.push("--tag", `${repository}:${tag}`);
  args.push(plan.context);
  return args;
}

/**
 * `buildx build` arguments for a plan with a builder: registry cache from and to the image's
 * repository, every platform, attestations as planned, `--push` or a local load.
 */
export function buildxArguments(
  plan: BuildPlan,
  repository: string,
  builder: string,
  metadataFile: string,
  flags: BuildFlags & { push: boolean; exportCache?: boolean; pushByDigest?: boolean },
): string[] {
  const args = ["build", "--builder", builder, "--progress=plain", "--file", plan.dockerfile];
  args.push("--metadata-file", metadataFile);
  // Attestations beside the image (referrers) are made after the push: the image stays one manifest.
  const { provenance, sbom, store } = plan.attestations;
  const inline = store !== "referrers";
  args.push(
    `--provenance=${provenance === false || !inline ? "false" : `mode=${provenance}`}`,
    `--sbom=${sbom && inline}`,
  );
  args.push(...planFlags(plan, flags), ...buildxOnlyFlags(plan));
  for (const entry of cacheSources(plan, repository)) args.push("--cache-from", entry);
  // The image's own build exports (not the test gate's): caches and outputs.
  const exporting = flags.exportCache ?? flags.push;
  if (exporting) for (const entry of cacheDestinations(plan, repository)) args.push("--cache-to", entry);
  for (const tag of filledTags(plan)) args.push("--tag", `${repository}:${tag}`);
  // Reproducible: every timestamp (files, history, config) rewritten to SOURCE_DATE_EPOCH.
  const rewrite = plan.reproducible ? ",rewrite-timestamp=true" : "";
  if (plan.reproducible) args.push("--build-arg", `SOURCE_DATE_EPOCH=${plan.reproducible.sourceDateEpoch}`);
  if (flags.push && flags.pushByDigest)
    // One platform of an index built across nodes: pushed by digest, untagged, merged afterwards.
    args.push("--output", `type=image,name=${repository},push-by-digest=true,name-canonical=true,push=true${rewrite}`);
  else if (flags.push && rewrite) args.push("--output", `type=image,push=true${rewrite}`);
  else if (flags.push) args.push("--push");
  if (plan.tags.length && plan.platforms.length <= 1 && (!flags.push || plan.outputs?.load)) args.push("--load");
  if (exporting) for (const entry of plan.outputs?.exports ?? []) args.push("--output", entry);
  args.push(plan.context);
  return args;
}

/** Every cache a build reads: the plan's entries (an image as a registry cache) and the registry cache's tags. */
function cacheSources(plan: BuildPlan, repository: string | undefined): string[] {
  return [
    ...plan.cacheFrom.map((entry) => (isCacheEntry(entry) ? entry : `type=registry,ref=${entry}`)),
    ...(repository ? (plan.cache?.from ?? []).map((tag) => `type=registry,ref=${repository}:${tag}`) : []),
  ];
}

/** Every cache a build writes: the registry cache (image-manifest and OCI media types, the shape ECR takes) and the plan's entries. */
function cacheDestinations(plan: BuildPlan, repository: string | undefined): string[] {
  return [
    ...(plan.cache && repository
      ? [
          `type=registry,ref=${repository}:${plan.cache.to},mode=${plan.cache.mode},image-manifest=true,oci-mediatypes=true`,
        ]
      : []),
    ...(plan.cacheTo ?? []),
  ];
}

/** Where a Bake target's files are: the context and Dockerfile as the Bake file names them, or the Dockerfile's text. */
export interface BakeSource {
  readonly context: string;
  readonly dockerfile?: string;
  readonly dockerfileInline?: string;
}

/** A `docker buildx bake` target (JSON), as buildx's own Target type spells each field. */
export type BakeTarget = Record<string, unknown>;

/**
 * The Bake target that builds what `buildxArguments` builds, from the same plan: every build
 * setting (target, args, labels, annotations, tags, platforms, caches, named contexts, secrets,
 * SSH, outputs, attestations in the index, reproducible timestamps, the build settings). What is not a
 * build but a step around it (the registry push, signing, verification, the release gate,
 * attestations beside the image, the size budget) is returned in `notExpressed`, by property,
 * for the caller to say. Secrets are read from environment variables of their ids
 * (`id=NPM_TOKEN,env=NPM_TOKEN`): Bake holds no secret value.
 */
export function bakeTarget(
  plan: BuildPlan,
  repository: string | undefined,
  source: BakeSource,
): { target: BakeTarget; notExpressed: string[] } {
  const { provenance, sbom, store } = plan.attestations;
  const inline = store !== "referrers";
  const attest = [
    ...(provenance !== false && inline ? [`type=provenance,mode=${provenance}`] : []),
    ...(sbom && inline ? ["type=sbom"] : []),
  ];
  const args = {
    ...plan.buildArgs,
    ...(plan.reproducible ? { SOURCE_DATE_EPOCH: String(plan.reproducible.sourceDateEpoch) } : {}),
  };
  const output = [
    ...(plan.reproducible ? ["type=image,rewrite-timestamp=true"] : []),
    ...(plan.outputs?.exports ?? []),
  ];
  const tags = filledTags(plan).map((t) => (repository ? `${repository}:${t}` : t));
  const present = <T>(value: T, keep: boolean): T | undefined => (keep ? value : undefined);
  const sources = cacheSources(plan, repository);
  const destinations = cacheDestinations(plan, repository);
  const target: BakeTarget = {
    context: source.context,
    dockerfile: source.dockerfileInline === undefined ? source.dockerfile : undefined,
    "dockerfile-inline": source.dockerfileInline,
    target: plan.target,
    args,
    labels: present(plan.labels, Object.keys(plan.labels ?? {}).length > 0),
    annotations: present(
      Object.entries(plan.annotations ?? {}).map(([k, v]) => `${k}=${v}`),
      Object.keys(plan.annotations ?? {}).length > 0,
    ),
    tags,
    platforms: present(plan.platforms, plan.platforms.length > 0),
    "cache-from": present(sources, sources.length > 0),
    "cache-to": present(destinations, destinations.length > 0),
    contexts: present(
      Object.fromEntries(Object.entries(plan.contexts ?? {}).map(([name, c]) => [name, buildContextValue(c)])),
      Object.keys(plan.contexts ?? {}).length > 0,
    ),
    secret: present(
      plan.secrets.map((id) => `id=${id},env=${id}`),
      plan.secrets.length > 0,
    ),
    ssh: present(
      plan.ssh.map((s) => (s.paths.length ? `${s.id}=${s.paths.join(",")}` : s.id)),
      plan.ssh.length > 0,
    ),
    output: present(output, output.length > 0),
    attest: present(attest, attest.length > 0),
  };
  // The build settings, each under its table column's Bake key.
  const settings: Readonly<Record<string, unknown>> = plan.settings ?? {};
  for (const [name, column] of BUILD_SETTINGS) target[column.bake] = column.bakeValue(column.settle(settings[name]));
  for (const key of Object.keys(target)) if (target[key] === undefined) delete target[key];
  const notExpressed = [
    ...(plan.builder ? [`builder (run bake with --builder ${plan.builder.name ?? "<the endpoint's builder>"})`] : []),
    ...(plan.engine && plan.engine !== "docker" ? [`engine: "${plan.engine}" (Bake builds with BuildKit)`] : []),
    ...(!inline && (provenance !== false || sbom)
      ? ['attestations.store: "referrers" (multistage attaches them with cosign after the push)']
      : []),
    ...(plan.release?.sign ? ["signing (after the push)"] : []),
    ...(plan.release?.verify ? ["signature verification (before the release tags)"] : []),
    ...(plan.release?.gate ? [`${plan.release.gate.property} (after the push)`] : []),
    ...(plan.sizeBudget ? [`${plan.sizeBudget.property} (measured in the registry)`] : []),
  ];
  return { target, notExpressed };
}

/** The plan's tags, refused while one still holds the `{inputsHash}` placeholder (the plan reads no files). */
function filledTags(plan: BuildPlan): readonly string[] {
  const at = plan.tags.findIndex((tag) => tag.includes(INPUTS_HASH_PLACEHOLDER));
  if (at >= 0)
    throw new Error(
      `plan.tags[${at}] ("${plan.tags[at]}") still holds ${INPUTS_HASH_PLACEHOLDER}: fill it in before building, with withInputsHash(plan.tags, targetInputs(plan).hash) (or the hash prepareImage read), or set gitSha.`,
    );
  return plan.tags;
}

/**
 * The flags `docker build` and `buildx build` share: cache use, secrets, SSH, target, build args,
 * platforms, labels and the build settings.
 */
function planFlags(plan: BuildPlan, flags: BuildFlags): string[] {
  const args: string[] = [];
  if (flags.noCache) args.push("--no-cache");
  for (const [id, file] of Object.entries(flags.secretFiles ?? {})) args.push("--secret", `id=${id},src=${file}`);
  for (const ssh of plan.ssh) args.push("--ssh", ssh.paths.length ? `${ssh.id}=${ssh.paths.join(",")}` : ssh.id);
  if (plan.target) args.push("--target", plan.target);
  for (const [name, value] of Object.entries(plan.buildArgs)) args.push("--build-arg", `${name}=${value}`);
  if (plan.platforms.length) args.push("--platform", plan.platforms.join(","));
  for (const [name, value] of Object.entries(plan.labels ?? {})) args.push("--label", `${name}=${value}`);
  args.push(...settingFlags(plan, false, args));
  return args;
}

/**
 * The build settings' flags, each as its table column writes it: the ones every builder takes,
 * or (`buildxOnly`) the ones only buildx has. A switch given already (`flags.noCache`) is not repeated.
 */
function settingFlags(plan: BuildPlan, buildxOnly: boolean, given: readonly string[] = []): string[] {
  const settings: Readonly<Record<string, unknown>> | undefined = plan.settings;
  if (!settings) return [];
  return BUILD_SETTINGS.flatMap(([name, column]) => {
    if (!!column.buildxOnly !== buildxOnly) return [];
    const flags = column.argv(column.settle(settings[name]));
    return flags.length === 1 && given.includes(flags[0]) ? [] : flags;
  });
}

/** What only buildx passes: named contexts, manifest annotations and the buildx-only build settings. */
function buildxOnlyFlags(plan: BuildPlan): string[] {
  const args: string[] = [];
  for (const [name, context] of Object.entries(plan.contexts ?? {}))
    args.push("--build-context", `${name}=${buildContextValue(context)}`);
  for (const [name, value] of Object.entries(plan.annotations ?? {})) args.push("--annotation", `${name}=${value}`);
  args.push(...settingFlags(plan, true));
  return args;
}

/**
 * The `remote` buildx builder registered for an endpoint: its name (derived from the endpoint
 * and its TLS files, so one registration serves every build) and the `buildx create` arguments.
 */
export function remoteBuilder(builder: BuilderSpec & { endpoint: string }): { name: string; create: string[] } {
  const tls = builder.tls ?? {};
  const name = `multistage-${createHash("sha256")
    .update(JSON.stringify([builder.endpoint, tls]))
    .digest("hex")
    .slice(0, 12)}`;
  const opts = [
    tls.caCert && `cacert=${path.resolve(tls.caCert)}`,
    tls.cert && `cert=${path.resolve(tls.cert)}`,
    tls.key && `key=${path.resolve(tls.key)}`,
    tls.serverName && `servername=${tls.serverName}`,
  ].filter(Boolean);
  const create = ["create", "--name", name, "--driver", "remote"];
  if (opts.length) create.push("--driver-opt", opts.join(","));
  return { name, create: [...create, builder.endpoint] };
}
