/**
 * The digest-pinned image as a Lambda function's image: Lambda takes one image manifest for
 * one architecture (x86_64 or arm64), not an index, and attestations make a push an index.
 * `lambdaImageArgs` checks the component's args for that before anything is built or pushed;
 * `toLambdaImage` checks the plan the image was built from and gives the function's inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { type AttestationArgs, type BuildPlan, type Diagnostic, MultiStageError, excerpt } from "../plan";
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
    ...Object.entries(args.environments ?? {}).map(
      ([k, e]) => [`environments.${k}.attestations`, e.attestations] as const,
    ),
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
  const common = args.platforms ?? (args.platform ? [args.platform] : undefined);
  if (common) checkPlatforms(args.platforms ? "platforms" : "platform", common);
  const environments = Object.entries(args.environments ?? {});
  for (const [name, env] of environments) {
    const own = env.platforms ?? (env.platform ? [env.platform] : undefined);
    if (own) checkPlatforms(`environments.${name}.${env.platforms ? "platforms" : "platform"}`, own);
  }
  const unset = !common && (environments.length === 0 || environments.some(([, e]) => !e.platform && !e.platforms));
  if (unset)
    problem(
      "platform",
      "is not set: the image would be built for the building machine's platform, which need not be the function's.",
      'Set platform to "linux/amd64" or "linux/arm64" (or per environment), the function\'s architecture.',
    );
  if (diagnostics.length) throw new MultiStageError(diagnostics);
  return args;
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
    const { platforms, attestations } = p;
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
