/** The plan a target is built from: what every back end, the pipeline and the CLI read. */
import { type Diagnostic, type StageGraphNode } from "../dockerfile";
import { type EnvironmentKind } from "./environments";
import { type AttestationSpec, type BuilderSpec, type CacheSpec } from "./builder";
import { type BuildSettings } from "./build-settings";
import { type NamedContext } from "./contexts";
import { type OutputsSpec } from "./exports";
import { type ReleaseSpec } from "./release";
import { type EngineName } from "./engine";
import { type TargetClosure } from "./closure";

/** A stage of the Dockerfile, marked with whether the plan's target builds it. */
export interface PlannedStage extends StageGraphNode {
  built: boolean;
}

/** Everything a builder needs, as plain data. */
export interface BuildPlan {
  environment: string;
  kind: EnvironmentKind;
  /** Absolute build context. */
  context: string;
  /** Absolute Dockerfile path. */
  dockerfile: string;
  /** `--target` to pass; `undefined` builds the final stage (only when it has no name). */
  target?: string;
  /** Label of the stage built (its name, or `#index`). */
  targetStage: string;
  /** True when the final stage is built. */
  isFinalStage: boolean;
  /** Stages BuildKit builds for this target, dependencies first. */
  stages: string[];
  /** Stages it skips. */
  skippedStages: string[];
  /** The whole stage graph, each stage marked `built` or not. */
  graph: PlannedStage[];
  /** Build args passed to the build. */
  buildArgs: Record<string, string>;
  /** Names of args the target actually declares (the ones that can change the image). */
  consumedArgs: string[];
  /** Target platforms; empty builds for the builder's own. Several make one index. */
  platforms: string[];
  /** The BuildKit builder, when not the Docker engine's own. */
  builder?: BuilderSpec;
  /** The registry cache (tags in the image's repository), when on. */
  cache?: CacheSpec;
  /** Attestations: pushed with the image (an index), or signed beside it (`store: "referrers"`). */
  attestations: AttestationSpec;
  /** What happens before the release tags: signing, verification, the release gate. */
  release?: ReleaseSpec;
  /** The daemonless engine that builds and pushes (`podman`, `buildah`); absent: the Docker CLI. */
  engine?: EngineName;
  /** SSH agents forwarded, by id; `paths` empty means `$SSH_AUTH_SOCK`. */
  ssh: Array<{ id: string; paths: string[] }>;
  /** Ids of the build secrets passed to the build (values are handed to the back end apart). */
  secrets: string[];
  /** The test stage built first; the image is pushed only if it builds (production only). */
  testTarget?: string;
  /** Tags to push (tags only, no repository): the unique one first, moving ones last. */
  tags: string[];
  /** `--cache-from`: images, and `type=…` entries (local directories absolute). */
  cacheFrom: string[];
  /** `--cache-to` entries besides the registry cache's. */
  cacheTo: string[];
  /** Where the image goes besides the registry: the local engine, tarballs. */
  outputs: OutputsSpec;
  /** Set for reproducible digests: the epoch every timestamp is rewritten to. */
  reproducible?: { sourceDateEpoch: number };
  /** Named contexts (`--build-context`), by the name the Dockerfile uses. */
  contexts: Record<string, NamedContext>;
  /** Images from outside the Dockerfile the target uses (after arg substitution and named contexts). */
  externalImages: string[];
  /** Build args passed but left out of the inputs hash. */
  volatileArgs: string[];
  /** Labels set on the image: the default OCI ones and `labels`. */
  labels: Record<string, string>;
  /** Of those, the ones naming the release (revision, version), left out of the inputs hash. */
  volatileLabels: string[];
  /** Manifest annotations (`--annotation`; with a builder). */
  annotations: Record<string, string>;
  /** How BuildKit runs the build (network, hosts, cache use, pull, shm, ulimits): not in the inputs hash. */
  settings: BuildSettings;
  /** The largest the image may be in the registry, in bytes (`sizeBudget`), and where it is set. */
  sizeBudget?: { bytes: number; property: string };
  /** Set when this environment promotes another's image instead of building (`promoteFrom`). */
  promotion?: {
    /** The environment whose image is promoted. */
    from: string;
    /** Its repository, when not this image's. */
    repository?: string;
    /** That environment's plan: its inputs find the image. */
    source: BuildPlan;
  };
  /**
   * What the target reads: the Dockerfile reduced to its closure, the context paths it
   * copies (or why it reads the whole context) and each stage's inputs. Absent when the
   * Dockerfile's text is not known (a plan made from a model alone).
   */
  closure?: TargetClosure;
  /** Non-fatal findings (unknown build args, unpinned bases outside production). */
  warnings: Diagnostic[];
}
