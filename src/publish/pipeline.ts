/**
 * The publish pipeline: the one owner of how an image gets into a registry. No Pulumi SDK:
 * the `docker-cli` image resource runs it in its provider's process, `multistage build`
 * in the CLI's.
 */
import {
  DockerCommandError,
  type DockerExecutor,
  type PushResult,
  type RegistryCredentials,
  PREDICATE_TYPES,
  type SigningKey,
  type SupplyChain,
} from "../executor";
import {
  loginSecretForms,
  type ImageSize,
  type RegistryAccess,
  RegistryError,
  findManifest,
  getManifest,
  imageSize,
  tagManifest,
} from "../registry";
import { explainBuildFailure } from "./failure";
import {
  type BuildPlan,
  type InputsRecord,
  parseImageReference,
  rebuildReason,
  redactCredentials,
  registryHost,
  repositoryOf,
} from "../plan";

/** What an image is published from: the plan and what was read for it; resolved values. */
export interface PublishRequest {
  plan: BuildPlan;
  references: string[];
  push: boolean;
  /** The registry, and its credentials unless it is read and written anonymously. */
  registry: RegistryAccess;
  /** Build secrets by id; a secret input, never kept in the outputs. */
  secrets?: Record<string, string>;
  /** The target's inputs (hashes only): what decides a rebuild and explains it. */
  inputs: InputsRecord;
  /** The Dockerfile reduced to the target's closure, with its `<Dockerfile>.dockerignore` beside it. */
  closureDockerfile: string;
  /** Set when this environment promotes another's image: its name, inputs hash and repository. */
  promote?: { from: string; hash: string; repository?: string };
  /** The cosign key this environment signs with (`plan.release.sign`); a secret input, never in the outputs. */
  signing?: SigningKey;
  /** Where the release gate runs. @default this process's directory */
  cwd?: string;
}

/** What publishing reports: no credentials, no build-arg values. */
export interface PublishResult {
  digest: string;
  imageUri: string;
  references: string[];
  /** The inputs of the image in the registry, for the next update's reasons. */
  inputs: InputsRecord;
  /** Why this image was built, or where it was found instead. */
  rebuildReason: string;
  /** True when the registry already held the image and nothing was built. */
  reused: boolean;
  /** Its size in the registry and largest layers (when pushed with credentials). */
  size?: ImageSize;
  /** Milliseconds each step that ran took, by step; not kept in the state. */
  timings?: Partial<Record<PublishStep, number>>;
}

/** The registry steps of publishing, as errors name them. */
export type RegistryStep = "lookup" | "push" | "confirm" | "measure" | "tag" | "promote" | "refresh";

/**
 * `run()`, its failure rethrown naming the step, the registry and the fix: a registry error by
 * its status (the registry's own reason is in its message), anything else as it is.
 */
export async function registryStep<T>(
  step: RegistryStep,
  server: string,
  run: () => Promise<T>,
  anonymous = false,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    throw stepFailure(step, server, err, anonymous);
  }
}

/**
 * The one message of a failed registry step: the step, the registry, what it said, and the fix
 * its kind of failure has. `anonymous`: no credentials were found for it anywhere, which a
 * refusal then names.
 */
function stepFailure(step: RegistryStep, server: string, err: RegistryError, anonymous = false): RegistryError {
  const refused = err.status === 401 || err.status === 403;
  const unchanged =
    step === "refresh" ? "The state is unchanged." : "Nothing was recorded: the state keeps the previous image.";
  const fix =
    err.code === "NAME_UNKNOWN"
      ? `The repository does not exist there (NAME_UNKNOWN), and this registry creates none on a push (ECR creates repositories only when asked: CreateRepository, or a repository creation template with CREATE_ON_PUSH). Create it (aws ecr create-repository --repository-name <name>), or leave registry out and let the component create it. Nothing was recorded: the state keeps the previous image.`
      : refused && anonymous
        ? `No credentials for ${server} were found: registry.username and registry.password are not set, and this machine has no login for it (REGISTRY_AUTH_FILE, or Docker's config.json in $DOCKER_CONFIG or ~/.docker: auths, credHelpers, credsStore). Give them, or run docker login ${server} on the machine that runs pulumi up.`
        : step === "refresh" && refused
          ? `The registry refused the credentials of this image's last update (an ECR token lasts 12 hours). The state is unchanged: refresh again after an update of the image, or check that those credentials may still pull.`
          : refused
            ? `The registry refused the credentials (registry.username and registry.password; an ECR token lasts 12 hours, and the component gets a new one on every run).`
            : err.failure === "unreachable"
              ? `No connection to ${server} could be made: check its name (registry.server, or the repository's host) and, over HTTPS, that this machine trusts its certificate. ${unchanged}`
              : err.failure === "malformed"
                ? `${server}, or a proxy before it, answered as the registry API does not: check what serves that address. ${unchanged}`
                : err.retryable
                  ? `The registry is failing, overloaded or unreachable, and answered the same after retries: try again once ${server} answers. ${unchanged}`
                  : err.code === "TAG_INVALID"
                    ? ""
                    : err.status >= 400 && err.status < 500
                      ? `The registry refused the request itself (${err.status}): retrying will not help. Check the repository's name and settings in ${server}.`
                      : `Check the repository and its permissions in ${server}.`;
  return new RegistryError(
    `${step} in ${server} failed: ${err.message}${fix ? ` ${fix}` : ""}`,
    err.status,
    { registry: server, step },
    err.code,
    err.failure,
  );
}

/** The tag that names an image by its inputs: `inputs-<sha256 hex>`. */
export function inputsTag(hash: string): string {
  return `inputs-${hash.replace(/^sha256:/, "")}`;
}

/** The registry's API, as the pipeline uses it (the executor's registry client is the real one). */
export interface RegistryClient {
  findManifest: typeof findManifest;
  getManifest: typeof getManifest;
  tagManifest: typeof tagManifest;
  imageSize: typeof imageSize;
  /**
   * The machine's own login for a registry the request gives no credentials for (Docker's
   * config.json, its credential helpers, REGISTRY_AUTH_FILE), or undefined: then it is used
   * anonymously. Never kept in the state.
   */
  machineLogin?: (server: string) => Promise<RegistryCredentials | undefined>;
}

/** What signs, verifies, attests and gates images (cosign, syft and a shell are the real ones). */
export type SupplyChainClient = Pick<
  SupplyChain,
  "publicKey" | "sign" | "verify" | "attestationTypes" | "attest" | "sbom" | "gate"
>;

/** What builds, pushes and moves images (the Docker CLI executor is the real one). */
export type Builder = Pick<DockerExecutor, "login" | "testGate" | "buildImage" | "pull" | "tag" | "push" | "dispose">;

/**
 * What the pipeline talks to, given to it rather than made by it: the builder, the registry,
 * where its one-line statuses go, and what stops it between steps. `dockerHost` (host/) is the real
 * one; tests drive the pipeline with their own.
 */
export interface PublishHost {
  readonly builder: Builder;
  readonly registry: RegistryClient;
  readonly status: (line: string) => void;
  /** Aborted: the pipeline stops before its next step, and says which. */
  readonly signal?: AbortSignal;
  /** Signatures, attestations and the release gate, for plans with `release` or referrer attestations. */
  readonly supplyChain?: SupplyChainClient;
}

/** The steps of publishing, in order; a cancellation names the one it stopped before. */
export type PublishStep =
  | "promote"
  | "lookup"
  | "gate"
  | "build"
  | "confirm"
  | "measure"
  | "verify"
  | "sign"
  | "attest"
  | "release gate"
  | "release";

/** What every step of one publish shares. */
interface Publish {
  readonly inputs: PublishRequest;
  readonly host: PublishHost;
  /** `<registry>/<path>`, and the path alone (what the registry API takes). */
  readonly repository: string;
  readonly repositoryPath: string;
  /** The release tags. */
  readonly tags: string[];
  /** `inputs-<hash>`: the tag that names the image by its inputs. */
  readonly byInputs: string;
  readonly server: string;
  /** The registry's login: given, else the machine's own; none when it is used anonymously. */
  readonly credentials?: RegistryCredentials;
  /**
   * How the registry's API is used, whenever the image is pushed to that registry: with the
   * login, or anonymously. Every release step (registry first, confirm, size budget, signing,
   * verification, the release gate) runs through it, however the login was given.
   */
  readonly api?: RegistryAccess;
  /** Whether no credentials were found for the registry (a refusal then says so). */
  readonly anonymous: boolean;
  /** Every secret value this publish holds: no error it raises shows one. */
  readonly secrets: string[];
  /** Whether the login is the machine's, which can be asked again when it expires (an ECR token lasts 12 hours). */
  readonly renewable: boolean;
  /** Milliseconds per step, as they run. */
  readonly timings: Partial<Record<PublishStep, number>>;
  /** Whether the builder's config holds the registry's login yet (cosign and syft read it there). */
  loggedIn: boolean;
}

/** Run `step`'s work, adding its time to the publish's timings. */
async function timed<T>(publish: Publish, step: PublishStep, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } finally {
    publish.timings[step] = (publish.timings[step] ?? 0) + (Date.now() - started);
  }
}

/** Stop before `step` when the host's signal says so; nothing of `step` or after it has run. */
function checkpoint(publish: Publish, step: PublishStep): void {
  if (publish.host.signal?.aborted)
    throw new Error(
      `publishing was cancelled before its ${step} step: nothing from that step on ran. The state keeps the previous image.`,
    );
}

/**
 * Publish one planned image, in named steps: find it by its inputs in the registry (registry
 * first), else run the test gate (the Dockerfile as written), build the closure Dockerfile
 * and push it under `inputs-<hash>`, confirm the registry holds it, measure it against the size
 * budget, and give it the release tags; or promote another environment's image. `previous` is
 * the inputs of the image the caller had before (the state's record), for the reason. The image
 * resource's provider and `multistage build` both run it, each with the host it assembles (`dockerHost`).
 */
export async function publishImage(
  inputs: PublishRequest,
  previous: InputsRecord | undefined,
  host: PublishHost,
): Promise<PublishResult> {
  const secrets = knownSecrets(inputs);
  try {
    const repository = repositoryOf(inputs.references[0]);
    const { username, password, server } = inputs.registry;
    const given =
      username !== undefined && password !== undefined
        ? ({ server, username, password } satisfies RegistryCredentials)
        : undefined;
    // No login given: the machine's own, as docker push would find it (it is not in the executor's private config).
    const credentials =
      given ?? (inputs.push || inputs.promote ? await host.registry.machineLogin?.(server) : undefined);
    if (credentials && !given) secrets.push(...loginSecretForms(credentials));
    const onRegistry = registryHost(repository) === server;
    const publish: Publish = {
      inputs,
      host,
      repository,
      repositoryPath: parseImageReference(repository).repository,
      tags: inputs.references.map((r) => parseImageReference(r).tag ?? ""),
      byInputs: inputsTag(inputs.inputs.hash),
      server,
      credentials,
      // With the registry's API at hand, the image is pushed under `inputs-<hash>` alone, then
      // measured, then given the release tags: an image over its size budget gets none.
      api: inputs.push && onRegistry ? (credentials ?? { server }) : undefined,
      anonymous: credentials === undefined,
      secrets,
      renewable: credentials !== undefined && !given,
      timings: {},
      loggedIn: false,
    };
    // The release steps run through the registry's API: without it, they are refused, never skipped.
    if (inputs.push && !publish.api && needsRegistryApi(inputs.plan))
      throw new Error(
        `registry.server: ${server} is not the registry of ${repository}, so its API cannot be asked for this image, and the environment's ${needsRegistryApi(inputs.plan)} would not run; nothing was built. Leave registry.server out (it defaults to the repository's host), or set it to ${registryHost(repository)}.`,
      );
    if (inputs.promote) return await promoteStep(publish);
    const found = await timed(publish, "lookup", () => lookupStep(publish));
    if (found)
      return await releaseStep(
        publish,
        found,
        true,
        `reused: the registry holds ${publish.byInputs} (same inputs); nothing built`,
      );
    const reason = rebuildReason(previous, inputs.inputs).summary;
    const release = inputs.plan.release;
    // Verifying without a key of its own, this environment releases only images signed before it: building one would not be.
    if (release?.verify && !release.sign && publish.api)
      throw new Error(
        `environment "${inputs.plan.environment}" releases only images signed by a trusted key, and ${publish.repository} has no image with these inputs (${publish.byInputs}) to verify; nothing was built. Let the environment that signs (e.g. staging, with the same inputs) push it first, promote it (promoteFrom), or give this environment a signing key.`,
      );
    await timed(publish, "gate", () => gateStep(publish));
    const built = await timed(publish, "build", () => buildStep(publish));
    if (built.nodes)
      host.status(
        `built across the builder's nodes: ${Object.entries(built.nodes)
          .map(([platform, node]) => `${platform} on ${node}`)
          .join(", ")}`,
      );
    if (!inputs.push) return outputs(publish, "", built.imageUri, false, reason);
    if (!publish.api) return outputs(publish, built.digest, built.imageUri, false, reason);
    await timed(publish, "confirm", () => confirmStep(publish, built.digest));
    return await releaseStep(publish, built.digest, false, reason, built.provenance);
  } catch (err) {
    // One rule for what a failure may show, at the pipeline's edge: no secret this publish holds,
    // no credential of any shape (a tool's output, a registry's answer, a gate's).
    if (err instanceof Error) err.message = redactCredentials(err.message, secrets);
    throw err;
  } finally {
    host.builder.dispose();
  }
}

/** What of the plan needs the registry's API (named in a refusal), or undefined. */
function needsRegistryApi(plan: BuildPlan): string | undefined {
  const { release, sizeBudget, attestations } = plan;
  if (release?.verify) return "signature verification";
  if (release?.sign) return "signing";
  if (release?.gate) return "release gate";
  if (sizeBudget) return "size budget";
  if (attestations.store === "referrers") return "attestations";
  return undefined;
}

/** Every secret value a publish request holds: the registry's login, the signing key and its password, the build secrets. */
function knownSecrets(inputs: PublishRequest): string[] {
  const { username, password } = inputs.registry;
  return [
    ...(password !== undefined ? loginSecretForms({ server: "", username: username ?? "", password }) : []),
    ...(inputs.signing ? [inputs.signing.key, inputs.signing.keyPassword ?? ""] : []),
    ...Object.values(inputs.secrets ?? {}),
  ].filter((s) => s.length >= 4);
}

function outputs(
  publish: Publish,
  digest: string,
  imageUri: string,
  reused: boolean,
  reason: string,
  size?: ImageSize,
): PublishResult {
  return {
    digest,
    imageUri,
    references: publish.inputs.references,
    inputs: publish.inputs.inputs,
    rebuildReason: reason,
    reused,
    ...(size ? { size } : {}),
    timings: publish.timings,
  };
}

/** Registry first: the digest of an image pushed before with these inputs, if the registry holds one. */
async function lookupStep(publish: Publish): Promise<string | undefined> {
  const { api, host } = publish;
  if (!api) return undefined;
  checkpoint(publish, "lookup");
  host.status("resolving its inputs in the registry");
  return apiStep(publish, "lookup", () => host.registry.findManifest(publish.repositoryPath, publish.byInputs, api));
}

/**
 * The test gate reads the Dockerfile as written: the test stage (and the files it copies) is
 * not in the target's closure. It runs whenever the image is built, and a failing test fails
 * the update before anything is built or pushed. The login comes first: a builder reads and
 * writes the registry cache (the gate too) and BuildKit pushes with it; `docker push` uses it too.
 */
async function gateStep(publish: Publish): Promise<void> {
  const { inputs, host, credentials } = publish;
  checkpoint(publish, "gate");
  if (credentials && (inputs.plan.builder || inputs.push)) await login(publish, credentials);
  await host.builder.testGate(inputs.plan, publish.repository, { secrets: inputs.secrets }).catch((err: unknown) => {
    throw explainBuildFailure(err, inputs.plan, inputs.plan.dockerfile, "test gate");
  });
}

/** Build the closure Dockerfile and push it: under `inputs-<hash>` alone when the registry's API will tag it. */
async function buildStep(publish: Publish): Promise<PushResult> {
  const { inputs, host, api, tags, byInputs } = publish;
  checkpoint(publish, "build");
  const plan: BuildPlan = {
    ...inputs.plan,
    dockerfile: inputs.closureDockerfile,
    tags: api ? [byInputs] : inputs.push ? [...tags, byInputs] : tags,
  };
  const build = (): Promise<PushResult> =>
    host.builder.buildImage(plan, publish.repository, { secrets: inputs.secrets, push: inputs.push });
  return (
    build()
      .catch((err: unknown) => {
        // A registry failing for a moment (a 5xx, a dropped connection; distribution answers 500 to
        // one of two publishers pushing the same image at once) is asked once more: the build is
        // cached, so only the push runs again. A refusal (401, 403) is not.
        if (err instanceof DockerCommandError && err.step === "push" && pushStatus(err.output) === 0) {
          host.status("the push failed for a moment; pushing again");
          return build();
        }
        throw err;
      })
      // A login that expired on the way (ECR: 403 DENIED) is asked for again, and the push repeated.
      .catch(async (err: unknown) => {
        if (isRefusal(err) && (await renewLogin(publish))) return build();
        throw err;
      })
      .catch((err: unknown) => {
        // The engine's `docker push` failed (after its own retries): said as the other registry steps are.
        if (err instanceof DockerCommandError && err.step === "push")
          throw stepFailure(
            "push",
            publish.server,
            new RegistryError(err.message, pushStatus(err.output), {}, pushCode(err.output)),
            publish.anonymous,
          );
        throw explainBuildFailure(err, inputs.plan, inputs.closureDockerfile, "build");
      })
  );
}

/**
 * The status a failed push stands for: the CLI reports the registry's refusal only as text
 * (`unauthorized: authentication required`, `denied: …`, BuildKit's `401 Unauthorized`), read
 * here once into the status every registry step decides on; anything else is "no answer" (0).
 */
function pushStatus(output: string): number {
  if (/\b401\b|unauthorized|authentication required|no basic auth credentials/i.test(output)) return 401;
  if (/\b403\b|\bdenied\b|forbidden/i.test(output)) return 403;
  const code = pushCode(output);
  return code === "NAME_UNKNOWN" ? 404 : code === "TAG_INVALID" ? 400 : 0;
}

/**
 * The registry's error code a failed push printed, for the codes a fix depends on: the engine
 * prints a code as its text (`name unknown:`, `tag invalid:`), BuildKit and cosign as the code.
 */
function pushCode(output: string): string | undefined {
  if (/\bname unknown:|\bNAME_UNKNOWN\b/.test(output)) return "NAME_UNKNOWN";
  if (/\btag invalid:|\bTAG_INVALID\b/.test(output)) return "TAG_INVALID";
  return undefined;
}

/** No output names a digest the registry does not hold: ask it before reporting the push. */
async function confirmStep(publish: Publish, digest: string): Promise<void> {
  const { host, server, api } = publish;
  checkpoint(publish, "confirm");
  const held = await apiStep(publish, "confirm", () =>
    host.registry.findManifest(publish.repositoryPath, digest, api as RegistryAccess),
  );
  if (held !== digest)
    throw new Error(
      `confirm in ${server} failed: the push reported ${digest}, but ${publish.repository} does not hold it. Run pulumi up again; the state keeps the previous image.`,
    );
}

/**
 * A registry step of this publish through the registry's API: a refused machine login renewed
 * and the step asked once more, then any failure said as `registryStep` says it. `server`: the
 * registry asked (the source's, for a promotion's lookup).
 */
function apiStep<T>(publish: Publish, step: RegistryStep, run: () => Promise<T>, server = publish.server): Promise<T> {
  return registryStep(step, server, () => renewing(publish, run), publish.anonymous);
}

/** How a refusal reads in a tool's output (cosign's `DENIED`, `403 Forbidden`). */
const REFUSED = /\b403\b|\bDENIED\b/;

/** A refusal of the login: the registry's 403, or a push or tool whose output says so. */
function isRefusal(err: unknown): boolean {
  if (err instanceof RegistryError) return err.status === 403;
  return err instanceof DockerCommandError && (pushStatus(err.output) === 403 || REFUSED.test(err.output));
}

/**
 * `run()`, once more after a refused login was renewed: a login from the machine (a credential
 * helper such as ECR's) can expire during a long update (an ECR token lasts 12 hours and is then
 * answered 403 DENIED, with no challenge to re-authenticate on), so it is asked for again rather
 * than failing the update halfway. A login the program gave cannot be renewed here.
 */
async function renewing<T>(publish: Publish, run: () => Promise<T>, refused?: (value: T) => boolean): Promise<T> {
  try {
    const value = await run();
    if (refused?.(value) && (await renewLogin(publish))) return await run();
    return value;
  } catch (err) {
    if (isRefusal(err) && (await renewLogin(publish))) return await run();
    throw err;
  }
}

/** Ask the machine for its login again; true when it gave a new one, now used everywhere (the API, the builder's config). */
async function renewLogin(publish: Publish): Promise<boolean> {
  const { credentials, host } = publish;
  if (!publish.renewable || !credentials || !host.registry.machineLogin) return false;
  const fresh = await host.registry.machineLogin(publish.server);
  if (!fresh || (fresh.password === credentials.password && fresh.username === credentials.username)) return false;
  publish.secrets.push(...loginSecretForms(fresh));
  // The same object is the API's login and the builder's: every later step uses the new one.
  Object.assign(credentials, { username: fresh.username, password: fresh.password });
  publish.loggedIn = false;
  await login(publish, credentials);
  host.status("the registry refused the login (expired); renewed it from the machine's login and went on");
  return true;
}

/** Log the builder in once per publish: its config is where the builder, cosign and syft find the login. */
async function login(publish: Publish, credentials: RegistryCredentials): Promise<void> {
  if (publish.loggedIn && credentials.server === publish.server) return;
  await publish.host.builder.login(credentials);
  if (credentials.server === publish.server) publish.loggedIn = true;
}

/**
 * Measure the image against its size budget, vouch for it (verify, sign, attest, the release
 * gate), then give it the release tags; over budget or refused, it gets none.
 */
async function releaseStep(
  publish: Publish,
  digest: string,
  reused: boolean,
  reason: string,
  provenance?: unknown,
): Promise<PublishResult> {
  const { api, host, repository, tags } = publish;
  if (!api) return outputs(publish, digest, `${repository}@${digest}`, reused, reason);
  checkpoint(publish, "measure");
  const size = await timed(publish, "measure", () =>
    apiStep(publish, "measure", () => host.registry.imageSize(publish.repositoryPath, digest, api)),
  );
  const budget = publish.inputs.plan.sizeBudget;
  if (budget && size.bytes > budget.bytes) {
    const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
    const layers = size.largestLayers.map((l) => `${mb(l.bytes)} ${JSON.stringify(l.createdBy.slice(0, 80))}`);
    throw new Error(
      `${budget.property}: the image is ${mb(size.bytes)}${size.platform ? ` (${size.platform})` : ""}, over its budget of ${mb(budget.bytes)}; its largest layers: ${layers.join(", ")}. It stays in ${repository} as ${publish.byInputs} only, without this environment's tags. Make those layers smaller, or raise the budget.`,
    );
  }
  await vouch(publish, `${repository}@${digest}`, {
    built: !reused,
    hash: publish.inputs.inputs.hash,
    provenance,
  });
  checkpoint(publish, "release");
  host.status(`tagging (${tags.length} ${tags.length === 1 ? "tag" : "tags"})`);
  await timed(publish, "release", () =>
    apiStep(publish, "tag", () => host.registry.tagManifest(publish.repositoryPath, digest, tags, api)),
  );
  return outputs(publish, digest, `${repository}@${digest}`, reused, reason, size);
}

/**
 * The digest every release tag of `publish` already names in its repository, when that image is
 * `source`'s copy (the same image config per platform: a copy's layers may be compressed anew, so
 * its digest can differ); otherwise undefined, and the image is copied.
 */
async function existingCopy(
  publish: Publish,
  source: { path: string; digest: string; access: RegistryAccess },
): Promise<string | undefined> {
  const { host, tags } = publish;
  const api = publish.api ?? publish.credentials ?? { server: publish.server };
  const held = await Promise.all(tags.map((tag) => host.registry.findManifest(publish.repositoryPath, tag, api)));
  const digest = held[0];
  if (!digest || held.some((d) => d !== digest)) return undefined;
  const configs = async (path: string, reference: string, access: RegistryAccess): Promise<string[]> => {
    const manifest = await host.registry.getManifest(path, reference, access);
    if (!manifest.body.manifests) return [manifest.body.config?.digest ?? ""];
    const children = manifest.body.manifests.filter((m) => m.platform && m.platform.os !== "unknown");
    return (await Promise.all(children.map((m) => configs(path, m.digest, access)))).flat().sort();
  };
  const [mine, theirs] = await Promise.all([
    configs(publish.repositoryPath, digest, api),
    configs(source.path, source.digest, source.access),
  ]);
  return JSON.stringify(mine) === JSON.stringify(theirs) ? digest : undefined;
}

/** The annotation keys of the signatures made here. */
export const SIGNATURE_ANNOTATIONS = {
  inputs: "dev.multistage.inputs",
  environment: "dev.multistage.environment",
} as const;

/**
 * The parts of `vouch` to run (all by default): a promotion to another repository verifies and
 * gates the source, then signs and attests the copy; `credentials` when the image is on another registry.
 */
interface VouchPhases {
  readonly verify?: boolean;
  readonly sign?: boolean;
  readonly gate?: boolean;
  readonly credentials?: RegistryCredentials;
}

/** What `vouch` knows of the image: whether this publish built it, its inputs hash, the build's provenance. */
interface Origin {
  readonly built: boolean;
  readonly hash: string;
  readonly provenance?: unknown;
}

/**
 * Before the release tags: verify the signature an image this environment did not build must
 * carry (a trusted key's, with its inputs hash), run the release gate with its digest-pinned
 * reference, and only then sign it and attach its SBOM and provenance beside it. Any refusal names the image and
 * leaves it without this environment's tags. What is already there (this environment's
 * signature, an attestation) is not made again.
 */
async function vouch(publish: Publish, image: string, origin: Origin, phases: VouchPhases = {}): Promise<void> {
  const { inputs, host } = publish;
  const plan = inputs.plan;
  const release = plan.release && {
    ...plan.release,
    sign: plan.release.sign && phases.sign !== false,
    verify: plan.release.verify && phases.verify !== false,
    gate: phases.gate === false ? undefined : plan.release.gate,
  };
  const referrers = plan.attestations.store === "referrers" && phases.sign !== false;
  if (!(release?.sign || release?.verify || release?.gate) && !referrers) return;
  const chain = host.supplyChain;
  if (!chain) throw new Error("signing, attestations and release gates need a supply-chain client in the publish host");
  const credentials = phases.credentials ?? publish.credentials;
  if (credentials) await login(publish, credentials);
  const env = plan.environment;
  const key = release?.sign ? inputs.signing : undefined;
  if (release?.sign && !key)
    throw new Error(
      `environment "${env}" signs its images, but no signing key reached the image resource: give the component signing.key.`,
    );
  // The signing key's own public key is trusted too (also where this step only verifies).
  const signing = inputs.signing;
  const own = signing && release ? await timed(publish, "sign", () => chain.publicKey(signing)) : undefined;
  if (release?.verify && !origin.built) {
    checkpoint(publish, "verify");
    host.status("verifying its signature");
    const trusted = [...(own ? [own] : []), ...release.publicKeys];
    const found = await timed(publish, "verify", () =>
      renewing(
        publish,
        () => chain.verify(image, trusted, { [SIGNATURE_ANNOTATIONS.inputs]: origin.hash }),
        (found) => !found.verified && REFUSED.test(found.detail),
      ),
    );
    if (!found.verified)
      throw new Error(
        `environment "${env}" refuses ${image}: it carries no signature by a trusted key (${trusted.length} ${trusted.length === 1 ? "key" : "keys"}) for inputs ${origin.hash} (cosign: ${found.detail}). It gets none of this environment's tags. Sign it where it was built and tested (that environment's signing key), or trust that key in signing.publicKeys.`,
      );
  }
  // Every check before any signature: an image its gate refused carries none of this environment's.
  if (release?.gate) await releaseGateStep(publish, chain, image, release.gate);
  if (key && own) {
    checkpoint(publish, "sign");
    const annotations = { [SIGNATURE_ANNOTATIONS.inputs]: origin.hash, [SIGNATURE_ANNOTATIONS.environment]: env };
    await timed(publish, "sign", async () => {
      const signed = origin.built
        ? undefined
        : await renewing(
            publish,
            () => chain.verify(image, [own], annotations),
            (found) => !found.verified && REFUSED.test(found.detail),
          );
      if (signed?.verified) return;
      host.status("signing");
      await renewing(publish, () => chain.sign(image, key, annotations));
    });
  }
  if (referrers && key) await attestStep(publish, chain, image, key, origin);
}

/** Attach the SBOM (syft's, of the pushed image) and the build's provenance as signed attestations, once each. */
async function attestStep(
  publish: Publish,
  chain: SupplyChainClient,
  image: string,
  key: SigningKey,
  origin: Origin,
): Promise<void> {
  const { host, inputs } = publish;
  const { sbom, provenance } = inputs.plan.attestations;
  checkpoint(publish, "attest");
  await timed(publish, "attest", async () => {
    const present = origin.built ? [] : await renewing(publish, () => chain.attestationTypes(image));
    if (sbom && !present.includes(PREDICATE_TYPES.sbom)) {
      host.status("attaching its SBOM");
      await renewing(publish, async () => chain.attest(image, key, "sbom", await chain.sbom(image)));
    }
    if (provenance !== false && !present.includes(PREDICATE_TYPES.provenance)) {
      if (origin.provenance === undefined)
        host.status(
          "no provenance attached: this update recorded none (the image was found by its inputs, or built across nodes) and it has none beside it",
        );
      else {
        host.status("attaching its provenance");
        await renewing(publish, () => chain.attest(image, key, "provenance", JSON.stringify(origin.provenance)));
      }
    }
  });
}

/** The release gate: its command with the digest-pinned reference; a failure refuses the release with its output. */
async function releaseGateStep(
  publish: Publish,
  chain: SupplyChainClient,
  image: string,
  gate: NonNullable<NonNullable<BuildPlan["release"]>["gate"]>,
): Promise<void> {
  const env = publish.inputs.plan.environment;
  checkpoint(publish, "release gate");
  publish.host.status("running the release gate");
  const digest = parseImageReference(image).digest ?? "";
  await timed(publish, "release gate", () =>
    chain.gate(
      gate.command,
      { MULTISTAGE_IMAGE: image, MULTISTAGE_IMAGE_DIGEST: digest, MULTISTAGE_ENVIRONMENT: env },
      { cwd: publish.inputs.cwd, timeoutMs: gate.timeoutSeconds * 1000, secrets: publish.secrets },
    ),
  ).catch((err: unknown) => {
    const output = err instanceof DockerCommandError ? err.message.replace(/^`[^`]*` failed /, "") : String(err);
    throw new Error(
      `${gate.property}: the release gate refused ${image} ${output}\nIt gets none of environment "${env}"'s tags. Fix what the gate found, or the gate.`,
    );
  });
}

/**
 * Give this environment's tags to the image another environment pushed with its inputs:
 * in the same repository, by tagging its manifest; in another, by pulling it and pushing it.
 */
async function promoteStep(publish: Publish): Promise<PublishResult> {
  const { inputs, host, repository, tags, credentials } = publish;
  const {
    from,
    hash,
    repository: sourceRepository = repository,
  } = inputs.promote as NonNullable<PublishRequest["promote"]>;
  checkpoint(publish, "promote");
  const byInputs = inputsTag(hash);
  // The host and path as a reference names them: `acme/api` is Docker Hub's, not a host "acme".
  const server = registryHost(sourceRepository);
  const sourcePath = parseImageReference(sourceRepository).repository;
  // The source is read with the same login (its registry's), or anonymously when there is none.
  const sourceLogin = credentials && { ...credentials, server };
  const found = await apiStep(
    publish,
    "promote",
    () => host.registry.findManifest(sourcePath, byInputs, sourceLogin ?? { server }),
    server,
  );
  if (!found) {
    throw new Error(
      `environment "${from}" has no image with its current inputs in ${sourceRepository} (${byInputs}): run pulumi up on "${from}" first (it pushes that tag), or remove promoteFrom.`,
    );
  }
  const source = `${sourceRepository}@${found}`;
  const reason = `promoted from ${from}: ${source} (${byInputs}); nothing built`;
  if (sourceRepository === repository) {
    // Verified, signed, attested and gated where it is, before it gets this environment's tags.
    await vouch(publish, source, { built: false, hash });
    await apiStep(publish, "promote", () =>
      host.registry.tagManifest(publish.repositoryPath, found, tags, credentials ?? { server: publish.server }),
    );
    return outputs(publish, found, `${repository}@${found}`, true, reason);
  }
  // Another repository: the source is verified and gated where it is, before anything is copied;
  // the copy is signed (and attested) in its new repository, where signatures are looked for.
  await vouch(publish, source, { built: false, hash }, { sign: false, credentials: sourceLogin });
  // Registry first here too: the copy an earlier promotion made (a rerun from empty state) is the
  // release, signed where it is; pushing its tags again is what an IMMUTABLE repository refuses.
  const copy = await apiStep(publish, "promote", () =>
    existingCopy(publish, { path: sourcePath, digest: found, access: sourceLogin ?? { server } }),
  );
  if (copy) {
    await vouch(publish, `${repository}@${copy}`, { built: false, hash }, { verify: false, gate: false });
    return outputs(
      publish,
      copy,
      `${repository}@${copy}`,
      true,
      `${reason}; the copy in ${repository} is already there`,
    );
  }
  if (sourceLogin) await host.builder.login(sourceLogin);
  if (credentials && server !== credentials.server) await host.builder.login(credentials);
  await host.builder.pull(source);
  const references = tags.map((t) => `${repository}:${t}`);
  for (const reference of references) await host.builder.tag(source, reference);
  const pushed = await host.builder.push(references);
  await vouch(publish, `${repository}@${pushed.digest}`, { built: false, hash }, { verify: false, gate: false });
  return outputs(publish, pushed.digest, `${repository}@${pushed.digest}`, true, reason);
}
