import { strict as assert } from "assert";
import { dependentStages, findCycles, stageGraph, stageGraphDot } from "../../../src/dockerfile";
import { CYCLIC_DOCKERFILE, dockerfile, seed } from "../../helpers";

describe("Stage graph", () => {
  it("lists dependents, so an edit to deps rebuilds builder and the final stage but not a sibling", () => {
    const model = seed("002-four-stage");
    assert.deepEqual(
      dependentStages(model, 0).map((s) => s.declaredName ?? s.index),
      ["deps", "builder", "tester", 3],
    );
    assert.deepEqual(
      dependentStages(model, 2).map((s) => s.declaredName),
      ["tester"],
    );
  });

  it("exports plain data and DOT", () => {
    const graph = stageGraph(seed("002-four-stage"));
    assert.deepEqual(graph[3], {
      index: 3,
      from: "node:18-alpine",
      line: 22,
      dependsOn: ["builder", "deps"],
      externalImages: ["node:18-alpine"],
      args: [],
    });
    const dot = stageGraphDot(seed("000-node-nginx"));
    assert.match(dot, /"build" -> "#1" \[label="COPY --from"\]/);
    assert.match(dot, /"nginx:latest" -> "#1" \[label="FROM"\]/);
  });

  it("finds dependency cycles", () => {
    const { model } = dockerfile(CYCLIC_DOCKERFILE);
    assert.deepEqual(findCycles(model), [[0, 1, 0]]);
  });
});
