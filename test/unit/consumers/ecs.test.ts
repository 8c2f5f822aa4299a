import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { toEcsContainerDefinition } from "../../../src/consumers";
import { value } from "../../outputs";

const URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "cd".repeat(32);

describe("toEcsContainerDefinition", () => {
  it("digest-pinned image, env, secrets by ARN, ports", async () => {
    const def = await value(
      toEcsContainerDefinition(
        { imageUri: URI },
        {
          name: "web",
          memory: 512,
          environment: { NODE_ENV: "production" },
          // An Output, as a secret resource's arn is.
          secrets: { DB_PASSWORD: pulumi.output("arn:aws:secretsmanager:us-east-1:123456789012:secret:db") },
          ports: [{ containerPort: 3000, name: "http" }],
        },
      ),
    );
    assert.deepEqual(def, {
      name: "web",
      image: URI,
      essential: true,
      memory: 512,
      environment: [{ name: "NODE_ENV", value: "production" }],
      secrets: [{ name: "DB_PASSWORD", valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db" }],
      portMappings: [{ containerPort: 3000, hostPort: 3000, protocol: "tcp", name: "http" }],
    });
  });

  it("refuses a tag reference and bad ports, naming the property", async () => {
    await assert.rejects(
      value(toEcsContainerDefinition({ imageUri: "repo/app:v1" }, { name: "web" })),
      /imageUri: image "repo\/app:v1" is not pinned by digest/,
    );
    assert.throws(
      () => toEcsContainerDefinition({ imageUri: URI }, { name: "web", ports: [{ containerPort: 70000 }] }),
      /ports\[0\]\.containerPort: 70000 is not a port number/,
    );
    assert.throws(
      () =>
        toEcsContainerDefinition(
          { imageUri: URI },
          { name: "a b", ports: [{ containerPort: 80 }, { containerPort: 0 }] },
        ),
      (err: Error & { diagnostics?: Array<{ property?: string }> }) =>
        JSON.stringify(err.diagnostics?.map((d) => d.property)) === '["name","ports[1].containerPort"]',
    );
  });
});
