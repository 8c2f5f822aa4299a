/** A plan's release and attestations, and the engine's refusals. */
import { settingPath } from "./environments";
import { type Stage } from "../dockerfile";
import { type AttestationSpec, attestationSpec, needsBuilder } from "./builder";
import { type ReleaseSpec, attestationStore, planRelease } from "./release";
import { checkEngine } from "./engine";
import type { PlanScope } from "./scope";

/** What vouches for the image: its release (signing, verification, the gate) and its attestations, where they go. */
export function planSupplyChain(scope: PlanScope): { release: ReleaseSpec | undefined; attestations: AttestationSpec } {
  const { options, key, settings, kind, hasBuilder, diagnostics } = scope;
  const release = planRelease(options.signing, key, settings, kind, diagnostics);
  const attestArgs = settings.attestations ?? options.attestations;
  const attestations = attestationStore(
    attestationSpec(attestArgs),
    typeof attestArgs === "object" ? attestArgs.store : undefined,
    release,
    settings.attestations !== undefined ? settingPath(key, "attestations") : "attestations",
    diagnostics,
  );
  if (attestations.store === "referrers" && attestations.provenance !== false && !hasBuilder)
    diagnostics.push(
      needsBuilder(
        settings.attestations !== undefined
          ? settingPath(key, "attestations", `.provenance`)
          : "attestations.provenance",
        "does not record the build's provenance",
        { or: ", or leave provenance off (the SBOM needs no builder)" },
      ),
    );
  return { release, attestations };
}

/** What a daemonless engine (`engine`) cannot do, refused by the property that asks it. */
export function planEngineCheck(
  scope: PlanScope,
  build: {
    platforms: readonly string[];
    platformsProperty: string;
    attestations: AttestationSpec;
    mounted: readonly Stage[];
  },
): void {
  const { options, key, settings, hasBuilder, model, diagnostics } = scope;
  const { platforms, platformsProperty, attestations, mounted } = build;
  checkEngine(
    {
      engine: options.engine,
      builder: hasBuilder,
      platforms,
      platformsProperty,
      attestationsInIndex: attestations.store === "index",
      attestationsProperty: settings.attestations !== undefined ? settingPath(key, "attestations") : "attestations",
      cacheFrom: [
        ...(options.cacheFrom ?? []).map((entry, i) => ({ entry, property: `cacheFrom[${i}]` })),
        ...(settings.cacheFrom ?? []).map((entry, i) => ({ entry, property: settingPath(key, "cacheFrom", `[${i}]`) })),
      ],
      load: options.load === true,
      stages: mounted,
      file: model.file,
    },
    diagnostics,
  );
}
