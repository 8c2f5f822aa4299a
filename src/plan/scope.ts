/** What every feature of a plan reads: the args, this environment's entry and kind, the Dockerfile, and where problems go. */
import type { Diagnostic, DockerfileModel } from "../dockerfile";
import type { EnvironmentArgs, EnvironmentKind } from "./environments";
import type { BuildPlanOptions } from "./options";

export interface PlanScope {
  readonly options: BuildPlanOptions;
  /** The environment's name, and the key of its entry in `environments` (its settings). */
  readonly env: string;
  readonly key: string;
  readonly settings: EnvironmentArgs;
  readonly kind: EnvironmentKind;
  readonly model: DockerfileModel;
  /** A BuildKit builder is set (`builder`): what only BuildKit does may be asked. */
  readonly hasBuilder: boolean;
  /** Every problem found, raised together once the plan is made. */
  readonly diagnostics: Diagnostic[];
}
