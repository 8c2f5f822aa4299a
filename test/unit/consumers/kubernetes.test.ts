import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { toKubernetesContainer } from "../../../src/consumers";
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
