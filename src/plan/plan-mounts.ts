/** What a plan's build mounts and pulls: named contexts, base images, the test gate, secrets, SSH. */
import {
  type Diagnostic,
  type DockerfileModel,
  type Stage,
  type TargetResolution,
  findStage,
  stageClosure,
  stageLabel,
  didYouMean,
  stageNames,
} from "../dockerfile";
import { type EnvironmentKind, settingPath } from "./environments";
import { type NamedContext, contextImage, planNamedContexts } from "./contexts";
import { isPinnedReference, parseImageReference } from "./image-ref";
import { validateSecretMounts, validateSshMounts } from "./secrets";
import type { BuildPlanOptions } from "./options";
import type { PlanScope } from "./scope";

/** Stage names tried, in order, as the test gate when `testStage` is not given. */
export const DEFAULT_TEST_STAGES: readonly string[] = ["test", "tests", "tester"];

/** The first of `DEFAULT_TEST_STAGES` the Dockerfile has: the gate when `testStage` is not given. */
export function defaultTestStage(model: DockerfileModel): Stage | undefined {
  return DEFAULT_TEST_STAGES.map((name) => findStage(model, name)).find((s) => s !== undefined);
}

/** The test stage to gate a production push on, if any (never the target itself). */
export function chooseTestStage(
  model: DockerfileModel,
  options: BuildPlanOptions,
  kind: EnvironmentKind,
  targetIndex: number,
  diagnostics: Diagnostic[],
): string | undefined {
  if (options.testStage === false || kind !== "production" || options.image) return undefined;
  if (options.testStage === true) {
    const stage = defaultTestStage(model);
    if (!stage)
      diagnostics.push({
        severity: "error",
        code: "unknown-target",
        file: model.file,
        property: "testStage",
        message: `is true, which requires a test stage, but the Dockerfile has none named ${DEFAULT_TEST_STAGES.join(", ")}.`,
        hint: `Name the stage that runs the tests (testStage: "<stage>"), or add a stage named test.`,
      });
    return stage && stage.index !== targetIndex ? stage.declaredName : undefined;
  }
  if (options.testStage !== undefined) {
    const stage = findStage(model, options.testStage);
    if (!stage) {
      diagnostics.push({
        severity: "error",
        code: "unknown-target",
        file: model.file,
        property: "testStage",
        message: `test stage "${options.testStage}" is not a stage of this Dockerfile.${didYouMean(options.testStage, stageNames(model))}`,
        hint: `Name one of: ${stageNames(model).join(", ") || "(no named stages)"}, or set testStage: false.`,
      });
      return undefined;
    }
    return stage.index === targetIndex ? undefined : stage.declaredName;
  }
  const stage = defaultTestStage(model);
  return stage && stage.index !== targetIndex ? stage.declaredName : undefined;
}

/** Unpinned (untagged or `latest`) external images: errors under the production guard, warnings elsewhere. */
export function validateBaseImages(
  model: DockerfileModel,
  resolution: TargetResolution,
  strict: boolean,
  key: string,
  diagnostics: Diagnostic[],
): void {
  const firstUse = new Map<string, { line: number; stage: string; via: string }>();
  for (const stage of resolution.stages) {
    for (const dep of stage.dependencies) {
      if (dep.kind !== "image") continue;
      const image = dep.via === "FROM" ? (resolution.args.baseImages.get(stage.index) ?? dep.image) : dep.image;
      if (!firstUse.has(image)) firstUse.set(image, { line: dep.line, stage: stageLabel(stage), via: dep.via });
    }
  }
  for (const image of resolution.externalImages) {
    if (isPinnedReference(image)) continue;
    const use = firstUse.get(image);
    const ref = parseImageReference(image);
    diagnostics.push({
      severity: strict ? "error" : "warning",
      code: "unpinned-base",
      file: model.file,
      line: use?.line,
      stage: use?.stage,
      // `COPY --from=nosuch`: BuildKit pulls it as an image; say that it is no stage either.
      message: `${use && use.via !== "FROM" && !ref.registry && !ref.repository.includes("/") ? `${use.via}=${image} names no stage of this Dockerfile, so it is the image "${image}", which` : `image "${image}"`} is ${ref.tag === "latest" ? "tagged latest" : "not tagged"}, so each build may get a different image.`,
      hint: strict
        ? `Pin it to a version or digest (e.g. ${ref.registry ? `${ref.registry}/` : ""}${ref.repository}:1.2.3), or set ${settingPath(key, "allowUnpinnedBaseImages")}.`
        : "Pin it to a version or digest before it reaches production.",
    });
  }
}
/**
 * What the build mounts and pulls: named contexts, the base images (pinned in production), the
 * test gate's stage, and the secrets and SSH agents the target's and the gate's stages mount.
 */
export function planMounts(
  scope: PlanScope,
  resolution: TargetResolution,
): {
  contexts: Record<string, NamedContext>;
  externalImages: string[];
  testTarget: string | undefined;
  mounted: Stage[];
} {
  const { options, key, settings, kind, model, hasBuilder, diagnostics } = scope;
  const contexts = planNamedContexts(options.contexts, model, resolution, hasBuilder, diagnostics);
  // The images the build pulls once named contexts apply: an image context's own, none for a directory.
  const externalImages = [
    ...new Set(resolution.externalImages.flatMap((image) => contextImage(contexts, image) ?? [])),
  ];
  validateBaseImages(
    model,
    { ...resolution, externalImages },
    kind === "production" && !settings.allowUnpinnedBaseImages,
    key,
    diagnostics,
  );
  // The test gate builds its stage with the same secrets and SSH: its mounts count too.
  const testTarget = chooseTestStage(model, options, kind, resolution.target.index, diagnostics);
  const gateStage = testTarget === undefined ? undefined : findStage(model, testTarget);
  const inTarget = new Set(resolution.stages.map((s) => s.index));
  const mounted = [
    ...resolution.stages,
    ...(gateStage ? stageClosure(model, gateStage.index).filter((s) => !inTarget.has(s.index)) : []),
  ];
  validateSecretMounts(
    mounted.flatMap((s) => s.secretMounts.map((m) => ({ ...m, stage: stageLabel(s) }))),
    options.secrets ?? [],
    model.file,
    diagnostics,
  );
  validateSshMounts(
    mounted.flatMap((s) => s.sshMounts.map((m) => ({ ...m, stage: stageLabel(s) }))),
    (options.ssh ?? []).map((s) => s.id),
    model.file,
    diagnostics,
  );
  // The Docker engine's own builder takes no --allow: its daemon's config (builder.entitlements) decides.
  if (hasBuilder) validateEntitlements(mounted, options.allow ?? [], model.file, diagnostics);
  return { contexts, externalImages, testTarget, mounted };
}

/**
 * With a builder, a `RUN --security=insecure` or `RUN --device` the build reaches needs its
 * entitlement in `allow`, or BuildKit refuses the step mid-build: refused here, by the RUN's line.
 */
function validateEntitlements(
  stages: readonly Stage[],
  allowed: readonly string[],
  file: string,
  diagnostics: Diagnostic[],
): void {
  for (const stage of stages)
    for (const { entitlement, line } of stage.entitlements)
      if (!allowed.includes(entitlement))
        diagnostics.push({
          severity: "error",
          code: "missing-entitlement",
          file,
          line,
          stage: stageLabel(stage),
          property: "allow",
          message: `RUN ${entitlement === "device" ? "--device" : "--security=insecure"} needs the "${entitlement}" entitlement, which allow does not grant: BuildKit would refuse the step.`,
          hint: `Add allow: ["${entitlement}"], and grant it on the builder too (buildkitd --allow-insecure-entitlement ${entitlement}).`,
        });
}
