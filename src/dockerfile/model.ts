/**
 * Plain-data model of a multi-stage Dockerfile. Produced by `parseDockerfile`,
 * consumed by the stage graph, the arg scoping rules and target resolution.
 * Nothing here knows about Pulumi.
 */

/** A build argument declaration (`ARG NAME` or `ARG NAME=default`). */
export interface ArgDeclaration {
  /** Argument name, case preserved as written. */
  name: string;
  /** Default value as written (unexpanded), or `undefined` when declared without `=`. */
  defaultValue?: string;
  /** 1-based line of the `ARG` instruction. */
  line: number;
}

/** A `$NAME` / `${NAME…}` reference found in an instruction. */
export interface VariableUse {
  name: string;
  /** 1-based line of the instruction that uses it. */
  line: number;
  /** The instruction keyword (`RUN`, `FROM`, `COPY`, …). */
  instruction: string;
  /**
   * True when the reference supplies its own fallback (`${X:-default}`, `${X-default}`)
   * or only expands when set (`${X:+alt}`), so an unset value is not an error.
   */
  tolerant: boolean;
  /** True for `${X:?message}` / `${X?message}`: the Dockerfile demands a value. */
  demanded: boolean;
}

/** How one stage depends on something else. */
export type DependencyVia = "FROM" | "COPY --from" | "RUN --mount";

/** A dependency on an earlier (or, erroneously, later or unknown) stage. */
export interface StageDependency {
  kind: "stage";
  /** Index of the stage depended upon. */
  stage: number;
  via: DependencyVia;
  /** The reference exactly as written (`builder`, `0`, …). */
  reference: string;
  line: number;
}

/** A dependency on an image that is not a stage of this Dockerfile. */
export interface ImageDependency {
  kind: "image";
  /** Image reference with global args substituted where possible. */
  image: string;
  via: DependencyVia;
  reference: string;
  line: number;
}

export type Dependency = StageDependency | ImageDependency;

/** A `RUN --mount=type=secret` of a stage. */
export interface SecretMount {
  /** The secret's id (`id=`, else the target's file name). */
  id: string;
  /** `required=true`: the build fails without it. */
  required: boolean;
  line: number;
  /** `env=NAME`: the secret is given as an environment variable, not a file (BuildKit 0.13+). */
  env?: string;
}

/** A `RUN --mount=type=ssh` flag: the agent forwarded under `id` (`ssh: [{ id }]`). */
export interface SshMount {
  /** The forwarding's id (`id=`, else `default`). */
  id: string;
  /** `required=true`: the build fails without it. */
  required: boolean;
  line: number;
}

/** A privileged `RUN` flag: the entitlement the build must be allowed (`RUN --security=insecure`, `RUN --device=…`). */
export interface EntitlementUse {
  entitlement: "security.insecure" | "device";
  line: number;
}

/** Where an instruction reads files of the build context. */
export interface ContextRead {
  /** `COPY`, `ADD`, or a `RUN --mount=type=bind` without `from`. */
  instruction: "COPY" | "ADD" | "RUN --mount";
  /** The instruction as written (its first line), e.g. `COPY . .`. */
  text: string;
  /** Sources as written (unexpanded), relative to the context; `.` is all of it. */
  sources: string[];
  line: number;
}

/** `COPY --from=x a b /dest` or `RUN --mount=from=x,source=a`: the sources read from `x`. */
export interface FromRead {
  /** The `from` value as written (a stage, an image or a named context; args unexpanded). */
  from: string;
  /** Sources as written, relative to the root of `x`; `.` is all of it. */
  sources: string[];
  text: string;
  line: number;
}

/** An input of a stage that cannot be listed before the build (`ADD <url>`, `ONBUILD`). */
export interface OpaqueRead {
  /** What it is, e.g. `ADD https://…` or `ONBUILD COPY`. */
  what: string;
  line: number;
}

/** One `FROM … [AS name]` block. */
export interface Stage {
  /** 0-based position in the file, usable as `COPY --from=<index>`. */
  index: number;
  /** The `AS` name lower-cased (BuildKit matches stage names case-insensitively), if any. */
  name?: string;
  /** The `AS` name exactly as written. */
  declaredName?: string;
  /** The `FROM` image argument as written (`node:${NODE_VERSION}`, `builder`, `scratch`). */
  from: string;
  /** `--platform` flag value as written, if any. */
  platform?: string;
  /** 1-based line of the `FROM` instruction. */
  line: number;
  /** 1-based last line of the stage. */
  endLine: number;
  /** `ARG` instructions inside the stage, in order. */
  args: ArgDeclaration[];
  /** Variable references in the stage's instructions (FROM line excluded). */
  variables: VariableUse[];
  /** Variable references on the FROM line (resolved against global args). */
  fromVariables: VariableUse[];
  /** Names set by `ENV` in this stage (they shadow args of the same name afterwards). */
  envNames: string[];
  /** Everything this stage needs, in the order it appears. */
  dependencies: Dependency[];
  /** The build secrets its RUN instructions mount. */
  secretMounts: SecretMount[];
  /** `RUN --mount=type=ssh` flags of the stage. */
  sshMounts: SshMount[];
  /** The entitlements its RUN instructions need (`--security=insecure`, `--device`). */
  entitlements: EntitlementUse[];
  /** The build-context files its instructions read. */
  contextReads: ContextRead[];
  /** What its instructions copy or mount from another stage, an image or a named context. */
  fromReads: FromRead[];
  /** Inputs that cannot be listed before the build. */
  opaqueReads: OpaqueRead[];
}

/** A parsed Dockerfile. */
export interface DockerfileModel {
  /** Path (or label) used in messages, e.g. `app/Dockerfile`. */
  file: string;
  /** `ARG`s before the first `FROM`: usable in `FROM` lines, and inside stages that redeclare them. */
  globalArgs: ArgDeclaration[];
  stages: Stage[];
  /** The `# syntax=` directive, if any. */
  syntax?: string;
  /** The escape character (`# escape=`), `\` by default. */
  escape: string;
}

/** Human label for a stage: its name, or `#index` when unnamed. */
export function stageLabel(stage: Pick<Stage, "index" | "declaredName">): string {
  return stage.declaredName ?? `#${stage.index}`;
}

/** The stage BuildKit builds when no target is given: the last one. */
export function finalStage(model: DockerfileModel): Stage {
  return model.stages[model.stages.length - 1];
}
