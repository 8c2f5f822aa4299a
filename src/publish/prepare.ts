/**
 * What the pipeline needs besides the plan, read before it runs: the digests of the base
 * images as the build will see them, the target's inputs, the closure files written for the
 * build, and the promotion's source inputs.
 */
import { type RegistryAccess } from "../registry";
import { type BuildPlan, closureImages, digestOf, inputsRecord, isDigestPinned } from "../plan";
import { targetInputs, writeClosureFiles } from "../context";
import type { PublishRequest } from "./pipeline";

/** The part of a `PublishRequest` read for its plan. */
export type PreparedImage = Pick<PublishRequest, "inputs" | "closureDockerfile" | "promote">;

/**
 * What asks for the digests of base images, as the build will see them: the Docker engine's
 * local images first when `local` (the engine's own builder reads them), else the registries,
 * with `registries`' credentials for their hosts. Why each unresolved image is not.
 * The host's: `baseImageResolver` (host/) is the real one.
 */
export type ResolveImages = (
  images: readonly string[],
  options: { local: boolean; registries: readonly RegistryAccess[] },
) => Promise<{ digests: Record<string, string>; unresolved: Record<string, string> }>;

export interface PrepareOptions {
  /** Where a warning goes (an image that could not be resolved). */
  warn: (message: string) => void;
  /** The plan holds secret build args: a warning then names no image (`FROM ${BASE}`). */
  secret: boolean;
  /**
   * What resolves the base images' digests. Absent under a program's own mocks (no engine:
   * nothing will be built, and a unit test must not reach out to registries): each image then
   * counts by its reference as written.
   */
  resolveImages?: ResolveImages;
}

/** Read what publishing `plan` needs; `registry` is the image registry's access, for its own host. */
export async function prepareImage(
  plan: BuildPlan,
  registry: RegistryAccess,
  options: PrepareOptions,
): Promise<PreparedImage> {
  const source = plan.promotion?.source;
  const digests = await imageDigests(source ? [plan, source] : [plan], registry, options);
  const inputs = targetInputs(plan, digests);
  return {
    inputs: inputsRecord(inputs),
    closureDockerfile: writeClosureFiles(plan, inputs),
    ...(plan.promotion && source
      ? {
          promote: {
            from: plan.promotion.from,
            hash: targetInputs(source, digests).hash,
            ...(plan.promotion.repository ? { repository: plan.promotion.repository } : {}),
          },
        }
      : {}),
  };
}

/**
 * The digests of the images `plans` start from or copy from, as the build will see them: the
 * Docker engine's local images first when it builds, else the registries (with the
 * image registry's credentials for its own host). An image that cannot be resolved counts by
 * its tag, with a warning.
 */
async function imageDigests(
  plans: readonly BuildPlan[],
  registry: RegistryAccess,
  options: PrepareOptions,
): Promise<Record<string, string>> {
  const images = [...new Set(plans.flatMap(closureImages))];
  // A digest the reference pins is known without asking anyone: it counts even under mocks.
  const pinned = Object.fromEntries(images.filter(isDigestPinned).map((image) => [image, digestOf(image) as string]));
  const asked = images.filter((image) => !(image in pinned));
  if (!asked.length || !options.resolveImages) return pinned;
  // The Docker engine's own builder reads its local images; BuildKit builders and the daemonless
  // engines pull from registries, so the registries' digests are what they see.
  const local = plans.some((p) => !p.builder && !p.engine);
  const { digests, unresolved } = await options.resolveImages(asked, { local, registries: [registry] });
  const fix =
    "its tag alone counts in the inputs hash, so a new image under that tag does not rebuild. Pin it by digest (image@sha256:…) to be sure.";
  for (const [image, why] of Object.entries(unresolved))
    options.warn(
      // A secret build arg may be part of the reference (FROM ${BASE}): then it is not named.
      options.secret
        ? `an image of the target could not be resolved to a digest (not named: the plan holds secret build args); ${fix}`
        : `image ${image}: its digest could not be resolved (${why}); ${fix}`,
    );
  return { ...digests, ...pinned };
}
