/**
 * The digest-pinned image as a Lambda function's image: Lambda takes one image manifest for
 * one architecture (x86_64 or arm64), not an index, and attestations make a push an index.
 * `lambdaImageArgs` checks the component's args for that before anything is built or pushed;
 * `toLambdaImage` checks the plan the image was built from and gives the function's inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  type AttestationArgs,
  type BuildPlan,
  type Diagnostic,
  MultiStageError,
  describeValue,
  excerpt,
} from "../plan";
import { type PinnedImage, pinnedImageUri } from "./container";

/** Lambda's architectures, by the platform an image is built for. */
const ARCHITECTURES: Readonly<Record<string, LambdaArchitecture>> = {
  "linux/amd64": "x86_64",
  "linux/arm64": "arm64",
  "linux/arm64/v8": "arm64",
};

/** An architecture a Lambda function runs. */
export type LambdaArchitecture = "x86_64" | "arm64";

/** The args that decide whether Lambda can run the image (a subset of `MultiStageImageArgs`). */
export interface LambdaPlanArgs {
  readonly platform?: string;
  readonly platforms?: readonly string[];
  readonly attestations?: boolean | AttestationArgs;
  readonly environments?: Readonly<
    Record<
      string,
      {
        readonly platform?: string;
        readonly platforms?: readonly string[];
        readonly attestations?: boolean | AttestationArgs;
      }
    >
  >;
}

/** What `aws.lambda.Function` takes for an image: spread it into the function's args. */
export interface LambdaImage {
  readonly packageType: "Image";
  /** `<repository>@sha256:…`: the function runs exactly what was built. */
  readonly imageUri: string;
  /** The one architecture the image is built for. */
  readonly architectures: [LambdaArchitecture];
}

/** An image with the plan it was built from: a `MultiStageImage`, or a plain object. */
export interface LambdaImageSource extends PinnedImage {
  readonly plan?: pulumi.Input<Pick<BuildPlan, "platforms" | "attestations" | "environment">>;
}

/**
 * The component's args, checked for Lambda before anything is built or pushed: one platform
 * Lambda runs (`linux/amd64` or `linux/arm64`) for every environment, and no attestations in
 * the index (beside the image, `store: "referrers"`, they leave it one manifest).
 * Throws a `MultiStageError` naming each property; returns the args as they are.
 * @example new MultiStageImage("fn", lambdaImageArgs({ context: "./fn", platform: "linux/arm64", … }))
 */
export function lambdaImageArgs<T extends LambdaPlanArgs>(args: T): T {
  if (typeof args !== "object" || args === null || Array.isArray(args))
    throw lambdaError(
      "args",
      `must be the component's args (an object), got ${describeValue(args)}.`,
      "Pass the MultiStageImageArgs you give the component.",
    );
  const diagnostics = lambdaProblems(args);
  if (diagnostics.length) throw new MultiStageError(diagnostics);
  // Marked, so the component checks again once the stack config is merged in (multistage:environments).
  // The same object where it can be marked (so it is "the args as they are"), else a copy.
  return Object.assign(Object.isExtensible(args) ? args : { ...args }, { [LAMBDA_ARGS]: true });
}

/**
 * The brand `lambdaImageArgs` puts on the args it checked (an enumerable symbol: it survives a
 * spread, and no field check sees it). The component reads it to check the merged environments.
 * @internal
 */
export const LAMBDA_ARGS: unique symbol = Symbol.for("pulumi-multistage-image.lambda");

/** Whether `args` went through `lambdaImageArgs`. @internal */
export function isLambdaArgs(args: object): boolean {
  return (args as Record<symbol, unknown>)[LAMBDA_ARGS] === true;
}

/**
 * Every reason Lambda could not run what `args` build: more than one platform, one it does not
 * run, none set, attestations in the index. `environmentsProperty` names where the environments
 * came from (`multistage:environments` for the stack config's).
 * @internal
 */
export function lambdaProblems(args: LambdaPlanArgs, environmentsProperty = "environments"): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const problem = (property: string, message: string, hint: string): void => {
    diagnostics.push({ severity: "error", code: "lambda-image", property, message, hint });
  };
  // In the index they make the push an index; beside the image (referrers) it stays one manifest.
  const inIndex = (attest: boolean | AttestationArgs | undefined): boolean =>
    attest === true ||
    (typeof attest === "object" && !!(attest.provenance || attest.sbom) && attest.store !== "referrers");
  for (const [property, attest] of [
    ["attestations", args.attestations] as const,
    ...environmentsOf(args).map(([k, e]) => [`${environmentsProperty}.${k}.attestations`, e.attestations] as const),
  ])
    if (inIndex(attest))
      problem(
        property,
        "make the push an image index with attestation manifests, which Lambda refuses.",
        'Attach them beside the image instead (attestations: { sbom: true, provenance: "max", store: "referrers" }, with signing.key), or turn them off (attestations: false).',
      );
  const checkPlatforms = (property: string, platforms: readonly string[]): void => {
    if (platforms.length > 1)
      problem(
        property,
        `names ${platforms.length} platforms: one push would be an index, which Lambda refuses.`,
        "Give one platform; make a function per architecture if you need both.",
      );
    else if (platforms.length === 1 && !ARCHITECTURES[platforms[0]])
      problem(
        property,
        `"${excerpt(platforms[0])}" is not an architecture Lambda runs.`,
        'Use "linux/amd64" (x86_64) or "linux/arm64" (arm64).',
      );
  };
  const common = platformsOf(args);
  if (common) checkPlatforms(Array.isArray(args.platforms) ? "platforms" : "platform", common);
  const environments = environmentsOf(args);
  for (const [name, env] of environments) {
    const own = platformsOf(env);
    if (own)
      checkPlatforms(`${environmentsProperty}.${name}.${Array.isArray(env.platforms) ? "platforms" : "platform"}`, own);
  }
  const unset = !common && (environments.length === 0 || environments.some(([, e]) => !e.platform && !e.platforms));
  if (unset && environmentsProperty === "environments")
    problem(
      "platform",
      "is not set: the image would be built for the building machine's platform, which need not be the function's.",
      'Set platform to "linux/amd64" or "linux/arm64" (or per environment), the function\'s architecture.',
    );
  return diagnostics;
}

/** The platforms `args` name (`platforms`, else `platform`), strings only: another type is the field check's to refuse. */
function platformsOf(args: { readonly platform?: unknown; readonly platforms?: unknown }): string[] | undefined {
  if (Array.isArray(args.platforms)) return args.platforms.filter((p): p is string => typeof p === "string");
  return typeof args.platform === "string" && args.platform ? [args.platform] : undefined;
}

/** The environments of `args` that are objects (a plain JavaScript or YAML value may be anything). */
function environmentsOf(args: LambdaPlanArgs): Array<[string, NonNullable<LambdaPlanArgs["environments"]>[string]]> {
  const environments: unknown = args.environments;
  if (typeof environments !== "object" || environments === null) return [];
  return Object.entries(environments as Record<string, unknown>).filter(
    (e): e is [string, NonNullable<LambdaPlanArgs["environments"]>[string]] =>
      typeof e[1] === "object" && e[1] !== null,
  );
}

/**
 * The function's image inputs: `packageType`, the digest-pinned `imageUri` and the
 * architecture the plan built, refused when the plan made an index or named no platform.
 * @example
 * const image = toLambdaImage(fn);
 * new aws.lambda.Function("fn", { role: role.arn, packageType: image.packageType, imageUri: image.imageUri, architectures: image.architectures });
 */
export function toLambdaImage(image: LambdaImageSource): pulumi.Output<LambdaImage> {
  const uri = pinnedImageUri(image);
  const plan = image.plan === undefined ? undefined : pulumi.output(image.plan);
  return pulumi.all([uri, plan]).apply(([imageUri, p]) => {
    if (!p) throw lambdaError("plan", "is missing: the architecture is read from it.", "Pass a MultiStageImage.");
    const { platforms, attestations } = p as Partial<typeof p>;
    if (!Array.isArray(platforms) || typeof attestations !== "object" || attestations === null)
      throw lambdaError(
        "plan",
        `is not a MultiStageImage's plan (it needs platforms and attestations), got ${describeValue(p)}.`,
        "Pass the MultiStageImage itself, or its plan output.",
      );
    if ((attestations.provenance !== false || attestations.sbom) && attestations.store !== "referrers")
      throw lambdaError(
        "plan.attestations",
        `environment "${p.environment}" pushes attestations, so its image is an index, which Lambda refuses.`,
        "Build it with lambdaImageArgs(…), or set attestations: false.",
      );
    const architecture = platforms.length === 1 ? ARCHITECTURES[platforms[0]] : undefined;
    if (!architecture)
      throw lambdaError(
        "plan.platforms",
        platforms.length
          ? `environment "${p.environment}" builds ${platforms.join(", ")}: Lambda takes one image of linux/amd64 or linux/arm64.`
          : `environment "${p.environment}" builds for the builder's own platform, which need not be the function's.`,
        'Set platform to "linux/amd64" or "linux/arm64"; lambdaImageArgs(…) checks it before the build.',
      );
    return { packageType: "Image" as const, imageUri, architectures: [architecture] as [LambdaArchitecture] };
  });
}

function lambdaError(property: string, message: string, hint: string): MultiStageError {
  return new MultiStageError([{ severity: "error", code: "lambda-image", property, message, hint }]);
}
