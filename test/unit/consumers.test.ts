import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { toEcsContainerDefinition, toKubernetesContainer } from "../../src";

const URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "cd".repeat(32);
const value = <T>(o: pulumi.Output<T>): Promise<T> => (o as unknown as { promise(): Promise<T> }).promise();

describe("Consumer helpers", () => {
  it("toEcsContainerDefinition: digest-pinned image, env, secrets by ARN, ports", async () => {
    const def = await value(
      toEcsContainerDefinition(
        { imageUri: URI },
        {
          name: "web",
          memory: 512,
          environment: { NODE_ENV: "production" },
          secrets: { DB_PASSWORD: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db" },
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

  it("toKubernetesContainer: digest-pinned image, IfNotPresent, env from secrets, ports", async () => {
    const container = await value(
      toKubernetesContainer(
        { imageUri: pulumi.output(URI) },
        {
          name: "web",
          env: { NODE_ENV: "production" },
          secretEnv: { DB_PASSWORD: { secret: "db", key: "password" } },
          ports: [{ containerPort: 3000, name: "http" }],
          resources: { requests: { cpu: "100m", memory: "128Mi" } },
        },
      ),
    );
    assert.deepEqual(container, {
      name: "web",
      image: URI,
      imagePullPolicy: "IfNotPresent",
      env: [
        { name: "NODE_ENV", value: "production" },
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
      ],
      ports: [{ containerPort: 3000, protocol: "TCP", name: "http" }],
      resources: { requests: { cpu: "100m", memory: "128Mi" } },
    });
  });

  it("refuses a tag reference, bad names and bad ports", async () => {
    await assert.rejects(
      value(toKubernetesContainer({ imageUri: "repo/app:latest" }, { name: "web" })),
      /not pinned by digest/,
    );
    await assert.rejects(
      value(toEcsContainerDefinition({ imageUri: "repo/app:v1" }, { name: "web" })),
      /not pinned by digest/,
    );
    assert.throws(
      () => toKubernetesContainer({ imageUri: URI }, { name: "Web_1" }),
      /not a valid Kubernetes container name/,
    );
    assert.throws(
      () => toEcsContainerDefinition({ imageUri: URI }, { name: "web", ports: [{ containerPort: 70000 }] }),
      /not a port number/,
    );
  });
});
