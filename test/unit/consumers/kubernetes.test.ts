import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { toEcsContainerDefinition, toKubernetesContainer } from "../../../src/consumers";
import { value } from "../../outputs";

const URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "cd".repeat(32);

describe("toKubernetesContainer", () => {
  it("digest-pinned image, IfNotPresent, env from secrets, ports", async () => {
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

  it("refuses a tag reference and a name that is not a DNS label", async () => {
    await assert.rejects(
      value(toKubernetesContainer({ imageUri: "repo/app:latest" }, { name: "web" })),
      /not pinned by digest/,
    );
    assert.throws(
      () => toKubernetesContainer({ imageUri: URI }, { name: "Web_1" }),
      /name: "Web_1" is not a valid container name\. Use a DNS label/,
    );
  });
});

describe("The helpers' options, as their tables declare them", () => {
  const refusal = (run: () => unknown): string => {
    try {
      run();
    } catch (err) {
      return (err as Error).message;
    }
    return "";
  };

  it("a misspelt option, a protocol that is not one and a wrong type are refused by name", () => {
    const loose = (o: unknown) => o as Parameters<typeof toKubernetesContainer>[1];
    assert.match(
      refusal(() => toKubernetesContainer({ imageUri: URI }, loose({ name: "web", prots: [{ containerPort: 80 }] }))),
      /prots: is not a field of KubernetesContainerOptions\. Did you mean "ports"\?/,
    );
    assert.match(
      refusal(() =>
        toKubernetesContainer(
          { imageUri: URI },
          loose({ name: "web", ports: [{ containerPort: 80, protocol: "TCP" }] }),
        ),
      ),
      /ports\[0\]\.protocol: "TCP" is not one of "tcp", "udp"\. Did you mean "tcp"\?/,
    );
    assert.match(
      refusal(() => toEcsContainerDefinition({ imageUri: URI }, { name: "api", memory: "512" as unknown as number })),
      /memory: must be a number, got "512"/,
    );
    assert.match(
      refusal(() =>
        toEcsContainerDefinition({ imageUri: URI }, { name: "api", healthCheck: { comand: ["true"] } as never }),
      ),
      /healthCheck\.comand: is not a field of healthCheck\. Did you mean "command"\?/,
    );
  });
});
