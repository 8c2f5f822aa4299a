/**
 * The Docker CLI's and buildx's arguments for a plan: pure, so tests compare them with the
 * providers' inputs, and the executor only runs them.
 */
import { createHash } from "crypto";
import * as path from "path";
import {
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
  for (const entry of plan.cacheFrom)
    args.push("--cache-from", isCacheEntry(entry) ? entry : `type=registry,ref=${entry}`);
  for (const tag of plan.cache?.from ?? []) args.push("--cache-from", `type=registry,ref=${repository}:${tag}`);
  if (plan.cache && (flags.exportCache ?? flags.push)) {
    // image-manifest and OCI media types: the shape ECR accepts for a cache.
    args.push(
      "--cache-to",
      `type=registry,ref=${repository}:${plan.cache.to},mode=${plan.cache.mode},image-manifest=true,oci-mediatypes=true`,
    );
  }
  // The image's own build exports (not the test gate's): caches and outputs.
  const exporting = flags.exportCache ?? flags.push;
  if (exporting) for (const entry of plan.cacheTo ?? []) args.push("--cache-to", entry);
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
  const settings = plan.settings;
  if (!settings) return args;
  if (settings.noCache && !flags.noCache) args.push("--no-cache");
  if (settings.pull) args.push("--pull");
  if (settings.network) args.push("--network", settings.network);
  for (const host of settings.addHosts) args.push("--add-host", host);
  if (settings.shmSize) args.push("--shm-size", String(settings.shmSize));
  for (const limit of settings.ulimits) args.push("--ulimit", limit);
  return args;
}

/** What only buildx passes: named contexts, manifest annotations and the stages built without the cache. */
function buildxOnlyFlags(plan: BuildPlan): string[] {
  const args: string[] = [];
  for (const [name, context] of Object.entries(plan.contexts ?? {}))
    args.push("--build-context", `${name}=${buildContextValue(context)}`);
  for (const [name, value] of Object.entries(plan.annotations ?? {})) args.push("--annotation", `${name}=${value}`);
  for (const stage of plan.settings?.noCacheFilter ?? []) args.push("--no-cache-filter", stage);
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
