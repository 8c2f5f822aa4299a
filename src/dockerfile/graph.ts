/**
 * The stage graph: which stages a stage needs, which stages need it, cycles,
 * and plain-data/DOT renderings of it.
 */
import type { Diagnostic } from "./diagnostics";
import { type DockerfileModel, type Stage, type StageDependency, stageLabel } from "./model";

/** Indices of the stages `stage` depends on directly, without repeats. */
export function directStageDependencies(stage: Stage): number[] {
  return [...new Set(stage.dependencies.filter((d): d is StageDependency => d.kind === "stage").map((d) => d.stage))];
}

/**
 * The stages BuildKit builds for `targetIndex`: the target and everything it needs,
 * dependencies before dependents, in file order where there is a choice.
 * Assumes no cycle (see `findCycles`); a cycle is cut where it is met.
 */
export function stageClosure(model: DockerfileModel, targetIndex: number): Stage[] {
  const seen = new Set<number>();
  const visit = (index: number): void => {
    if (seen.has(index)) return;
    seen.add(index);
    for (const dep of directStageDependencies(model.stages[index])) visit(dep);
  };
  visit(targetIndex);
  return model.stages.filter((s) => seen.has(s.index)).sort((a, b) => a.index - b.index);
}

/** Stages that (transitively) depend on `index`, the stage itself included. */
export function dependentStages(model: DockerfileModel, index: number): Stage[] {
  const affected = new Set<number>([index]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const stage of model.stages) {
      if (!affected.has(stage.index) && directStageDependencies(stage).some((d) => affected.has(d))) {
        affected.add(stage.index);
        grew = true;
      }
    }
  }
  return model.stages.filter((s) => affected.has(s.index));
}

/** Every dependency cycle, each as the list of stage indices along it (first repeated at the end). */
export function findCycles(model: DockerfileModel): number[][] {
  const cycles: number[][] = [];
  const state = new Map<number, "visiting" | "done">();
  const path: number[] = [];
  const visit = (index: number): void => {
    state.set(index, "visiting");
    path.push(index);
    for (const dep of directStageDependencies(model.stages[index])) {
      if (state.get(dep) === "visiting") cycles.push([...path.slice(path.indexOf(dep)), dep]);
      else if (!state.has(dep)) visit(dep);
    }
    path.pop();
    state.set(index, "done");
  };
  for (const stage of model.stages) if (!state.has(stage.index)) visit(stage.index);
  return cycles;
}

/** One diagnostic per cycle, naming the stages and the lines that close it. */
export function cycleDiagnostics(model: DockerfileModel): Diagnostic[] {
  return findCycles(model).map((cycle) => {
    const steps = cycle.slice(0, -1).map((from, i) => {
      const to = cycle[i + 1];
      const dep = model.stages[from].dependencies.find((d) => d.kind === "stage" && d.stage === to);
      return `"${stageLabel(model.stages[from])}" needs "${stageLabel(model.stages[to])}" (line ${dep?.line})`;
    });
    const first = model.stages[cycle[0]];
    return {
      severity: "error" as const,
      code: "cycle" as const,
      file: model.file,
      line: first.line,
      stage: stageLabel(first),
      message: `dependency cycle: ${steps.join(", ")}.`,
      hint: "BuildKit refuses circular stage dependencies; remove one of these references.",
    };
  });
}

/** The stage graph as plain data (safe to export as a Pulumi output). */
export interface StageGraphNode {
  index: number;
  name?: string;
  /** The `FROM` argument as written. */
  from: string;
  line: number;
  /** Names (or `#index`) of the stages this one needs. */
  dependsOn: string[];
  /** Images outside this Dockerfile this stage uses (base image or `COPY --from`). */
  externalImages: string[];
  /** Build args this stage declares. */
  args: string[];
}

export function stageGraph(model: DockerfileModel): StageGraphNode[] {
  return model.stages.map((stage) => ({
    index: stage.index,
    ...(stage.declaredName ? { name: stage.declaredName } : {}),
    from: stage.from,
    line: stage.line,
    dependsOn: directStageDependencies(stage).map((i) => stageLabel(model.stages[i])),
    externalImages: [...new Set(stage.dependencies.flatMap((d) => (d.kind === "image" ? [d.image] : [])))],
    args: stage.args.map((a) => a.name),
  }));
}

/** Graphviz DOT rendering; `highlight` marks the stages of a target closure. */
export function stageGraphDot(model: DockerfileModel, highlight: ReadonlySet<number> = new Set()): string {
  const id = (s: Stage): string => JSON.stringify(stageLabel(s));
  const lines = ["digraph stages {", "  rankdir=LR;"];
  for (const stage of model.stages) {
    const style = highlight.has(stage.index) ? ", style=bold" : "";
    lines.push(`  ${id(stage)} [shape=box${style}];`);
  }
  for (const stage of model.stages) {
    for (const dep of stage.dependencies) {
      const from = dep.kind === "stage" ? id(model.stages[dep.stage]) : JSON.stringify(dep.image);
      if (dep.kind === "image") lines.push(`  ${from} [shape=ellipse];`);
      lines.push(`  ${from} -> ${id(stage)} [label=${JSON.stringify(dep.via)}];`);
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
