/**
 * The production test gate on the back ends that create it as a resource (docker-build,
 * docker), with plain inputs and with Outputs: the gate builds the test stage of the
 * Dockerfile as written before the image, or the component is refused; never a production
 * push without it. (docker-cli reads the gate from the resolved plan: test/e2e/test-gate.test.ts.)
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage, type MultiStageImageArgs } from "../../../src";
import { REPO_ROOT } from "../../helpers";
import { inputErrors, ofType, resources, settle, useStack, value } from "../mocks";

const SERVICE = path.join(REPO_ROOT, "examples", "node-service", "app");
const BACKENDS = [
  ["docker-build", "docker-build:index:Image", (i: Record<string, unknown>) => [i.target, i.dockerfile]],
  [
    "docker",
    "docker:index/image:Image",
    (i: Record<string, unknown>) => {
      const build = i.build as { target: string; dockerfile: string };
      return [build.target, { location: build.dockerfile }];
    },
  ],
] as const;

const base: MultiStageImageArgs = { context: SERVICE, gitSha: "0123456789abcdef0123456789abcdef01234567" };

describe("The test gate on the docker-build and docker back ends", () => {
  for (const [backend, type, gateOf] of BACKENDS) {
    const gate = (name = "svc-image-test"): unknown[] | undefined => {
      const found = ofType(type).find((r) => r.name === name);
      return found && gateOf(found.inputs);
    };
    const asWritten = ["tester", { location: path.join(SERVICE, "Dockerfile") }];

    it(`${backend}: with plain inputs, builds the test stage as written before the image`, async () => {
      useStack("production");
      await settle(new MultiStageImage("svc", { ...base, backend, buildArgs: { APP_VERSION: "1" } }).imageUri);
      assert.deepEqual(gate(), asWritten);
    });

    it(`${backend}: with buildArgs as an Output, still gates (the Dockerfile is read at construction)`, async () => {
      useStack("production");
      const buildArgs = pulumi.output({ APP_VERSION: "1" });
      const image = new MultiStageImage("svc", { ...base, backend, buildArgs });
      await settle(image.imageUri);
      assert.deepEqual(gate(), asWritten);
      assert.equal((await value(image.plan)).testTarget, "tester");
    });

    it(`${backend}: with context as an Output and testStage named, gates on that stage`, async () => {
      useStack("production");
      const context = pulumi.output(SERVICE);
      await settle(new MultiStageImage("svc", { ...base, backend, context, testStage: "tester" }).imageUri);
      assert.deepEqual(gate(), asWritten);
    });

    it(`${backend}: with context as an Output and no testStage, is refused and creates nothing`, () => {
      useStack("production");
      const context = pulumi.output(SERVICE);
      const errors = inputErrors(() => new MultiStageImage("svc", { ...base, backend, context }));
      assert.equal(errors.length, 1);
      assert.equal(errors[0].propertyPath, "testStage");
      assert.match(errors[0].reason, /creates the production test gate when the component is constructed/);
      assert.match(errors[0].reason, /testStage: "test"|use backend "docker-cli"/);
      assert.deepEqual(
        resources.map((r) => r.type),
        [],
      );
    });

    it(`${backend}: outside production, or with testStage: false, there is no gate`, async () => {
      useStack("dev");
      await settle(new MultiStageImage("svc", { ...base, backend, context: pulumi.output(SERVICE) }).imageUri);
      assert.equal(gate(), undefined);
      useStack("production");
      const off = { ...base, backend, context: pulumi.output(SERVICE), testStage: false } as const;
      await settle(new MultiStageImage("svc", off).imageUri);
      assert.equal(gate(), undefined);
    });
  }
});
