/** The ECS and Kubernetes example programs, run under mocks for their dev and production stacks. */
import { strict as assert } from "assert";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT } from "../helpers";
import { ofType, settle, useStack, value } from "./mocks";

function runProgram(example: string): Record<string, pulumi.Output<string>> {
  const entry = require.resolve(path.join(REPO_ROOT, "examples", example, "index.ts"));
  delete require.cache[entry];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(entry) as Record<string, pulumi.Output<string>>;
}

describe("Example programs under mocks", () => {
  for (const [stack, target] of [
    ["dev", "builder"],
    ["production", "production"],
  ]) {
    it(`ecs-service (${stack}): the task definition runs the ${target} image by digest`, async () => {
      useStack(stack, {
        "multistage-test:subnetIds": '["subnet-1"]',
        "multistage-test:pullPrincipals": '["arn:aws:iam::123456789012:role/ecsTaskExecutionRole"]',
      });
      const program = runProgram("ecs-service");
      await settle(program.imageUri, program.target, program.taskDefinitionArn, program.serviceName);
      assert.equal(await value(program.target), target);
      const [task] = ofType("aws:ecs/taskDefinition:TaskDefinition");
      const [container] = JSON.parse(task.inputs.containerDefinitions as string);
      assert.equal(container.image, await value(program.imageUri));
      assert.match(container.image, /@sha256:[0-9a-f]{64}$/);
      assert.equal(container.logConfiguration.options["awslogs-region"], "us-east-1");
      assert.equal(task.inputs.family, `api-${stack}`);
      assert.equal(ofType("aws:ecr/repositoryPolicy:RepositoryPolicy").length, 1);
      assert.equal(ofType("aws:ecs/service:Service").length, 1);
    });

    it(`k8s-deployment (${stack}): the Deployment's container runs the ${target} image by digest`, async () => {
      useStack(stack);
      const program = runProgram("k8s-deployment");
      await settle(program.imageUri, program.target, program.deploymentName);
      assert.equal(await value(program.target), target);
      const [deployment] = ofType("kubernetes:apps/v1:Deployment");
      const spec = deployment.inputs.spec as {
        template: { spec: { containers: Array<{ image: string; imagePullPolicy: string }> } };
      };
      assert.equal(spec.template.spec.containers[0].image, await value(program.imageUri));
      assert.equal(spec.template.spec.containers[0].imagePullPolicy, "IfNotPresent");
    });
  }
});
