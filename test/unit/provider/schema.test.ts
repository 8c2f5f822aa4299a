import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { generateSchema, schemaText } from "../../../scripts/schema";
import { COMPONENT_OUTPUTS } from "../../../src/component/multistage-image";
import { PLAN_ARG_KEYS } from "../../../src/plan";
import { FUNCTIONS } from "../../../src/provider/provider";
import { REPO_ROOT } from "../../helpers";

interface PropertySpec {
  type?: string;
  plain?: boolean;
  secret?: boolean;
  oneOf?: unknown[];
  $ref?: string;
  description?: string;
}

describe("The package schema (schema.json)", function () {
  this.timeout(120_000);
  let text: string;
  let component: {
    inputProperties: Record<string, PropertySpec>;
    requiredInputs: string[];
    properties: Record<string, PropertySpec>;
  };

  before(() => {
    text = schemaText();
    component = (JSON.parse(text) as { resources: Record<string, typeof component> }).resources[
      "multistage:index:MultiStageImage"
    ];
  });

  it("is the one generated from the TypeScript types (run `npm run schema` after changing them)", () => {
    assert.equal(fs.readFileSync(path.join(REPO_ROOT, "schema.json"), "utf8"), text);
  });

  it("has every arg of MultiStageImageArgs as an input and every Output as an output", () => {
    const own = ["environment", "secrets", "repository", "registry", "backend", "deletePushedImages", "push"];
    for (const key of [...PLAN_ARG_KEYS, ...own, "buildOnPreview", "additionalImages"])
      assert.ok(component.inputProperties[key], `${key} is missing from the schema's inputs`);
    assert.deepEqual(Object.keys(component.properties).sort(), [...COMPONENT_OUTPUTS].sort());
    assert.deepEqual(component.requiredInputs, ["context"]);
  });

  it("marks what must be plain, what takes outputs, and what is secret, as the TypeScript types do", () => {
    const inputs = component.inputProperties;
    for (const plain of ["environment", "environments", "tagStrategy", "testStage", "backend"])
      assert.equal(inputs[plain].plain, true, `${plain} should be plain`);
    for (const late of ["context", "buildArgs", "push", "secrets"])
      assert.equal(inputs[late].plain, undefined, `${late} takes outputs`);
    assert.equal(inputs.secrets.secret, true);
    // A template or a list of them: any value in the schema (Python cannot send a list for a union-typed input,
    // pulumi/pulumi#17181); construct checks the form. A union without a list stays a union.
    assert.equal(inputs.tagStrategy.$ref, "pulumi.json#/Any");
    assert.equal(inputs.tagStrategy.oneOf, undefined);
    assert.deepEqual(inputs.testStage.oneOf, [{ type: "boolean" }, { type: "string" }]);
    assert.match(inputs.tagStrategy.description ?? "", /TypeScript-only function form/);
  });

  it("has each consumer helper the provider serves as a function, its inputs and outputs from its signature", () => {
    const functions = (
      JSON.parse(text) as {
        functions: Record<string, { inputs: { required: string[] }; outputs: { properties: Record<string, unknown> } }>;
      }
    ).functions;
    assert.deepEqual(
      Object.keys(functions).sort(),
      Object.keys(FUNCTIONS)
        .map((f) => `multistage:index:${f}`)
        .sort(),
    );
    const k8s = functions["multistage:index:toKubernetesContainer"];
    assert.deepEqual(k8s.inputs.required, ["imageUri", "name"]);
    assert.ok(k8s.outputs.properties.imagePullPolicy);
  });

  it("refuses to drop a callback silently: without a cross-language form the generation fails", () => {
    assert.throws(
      () => generateSchema({ crossLanguage: {} }),
      /MultiStageImageArgs\.tagStrategy: a function cannot cross languages/,
    );
  });
});
