/** Any OCI registry instead of ECR: no AWS resource, credentials as secrets, validated up front. */
import { strict as assert } from "assert";
import * as path from "path";
import { MultiStageImage, type MultiStageImageArgs } from "../../src";
import { REPO_ROOT } from "../helpers";
import { inputErrors, invokes, resources, settle, unwrapSecret, useStack, value } from "./mocks";

const args: MultiStageImageArgs = {
  context: path.join(REPO_ROOT, "examples", "node-nginx", "app"),
  gitSha: "0123456789abcdef0123456789abcdef01234567",
  registry: { repository: "ghcr.io/acme/web", username: "acme-ci", password: "token" },
};

describe("MultiStageImage with any OCI registry", () => {
  for (const backend of ["docker-build", "docker"] as const) {
    it(`${backend}: creates no AWS resource and calls no AWS function`, async () => {
      useStack("production");
      const image = new MultiStageImage("web", { ...args, backend });
      await settle(image.imageUri);
      assert.deepEqual(
        resources.filter((r) => r.type.startsWith("aws:")),
        [],
      );
      assert.deepEqual(invokes, []);
      assert.equal(image.repository, undefined);
      assert.equal(await value(image.repositoryUrl), "ghcr.io/acme/web");
      assert.match(await value(image.imageUri), /^ghcr\.io\/acme\/web@sha256:[0-9a-f]{64}$/);
      assert.deepEqual(await value(image.tags), ["ghcr.io/acme/web:production-0123456789ab"]);
    });
  }

  it("logs in to the repository's host, or to Docker Hub, or to the server given", async () => {
    useStack("dev");
    const hosted = (registry: MultiStageImageArgs["registry"]): Promise<string> => {
      const image = new MultiStageImage("web", { ...args, backend: "docker-build", registry });
      return settle(image.imageUri).then(() => {
        const inputs = resources.find((r) => r.type === "docker-build:index:Image")!.inputs;
        const registries = unwrapSecret<Array<{ address: string }>>(inputs.registries).value;
        return `${registries[0].address} ${(inputs.tags as string[])[0]}`;
      });
    };
    assert.equal(
      await hosted({ repository: "127.0.0.1:5055/team/web" }),
      "127.0.0.1:5055 127.0.0.1:5055/team/web:dev-0123456789ab",
    );
    useStack("dev");
    assert.equal(await hosted({ repository: "acme/web" }), "docker.io acme/web:dev-0123456789ab");
    useStack("dev");
    assert.equal(
      await hosted({ server: "harbor.example.com" }),
      "harbor.example.com harbor.example.com/web:dev-0123456789ab",
    );
  });

  it("refuses a bad registry before creating anything, naming each property", () => {
    useStack("production");
    const errors = inputErrors(
      () =>
        new MultiStageImage("web", {
          ...args,
          registry: { repository: "ghcr.io/Acme/web:latest", username: "ci" },
          repository: { scanOnPush: true },
        }),
    );
    assert.deepEqual(
      errors.map((e) => e.propertyPath),
      ["registry.repository", "registry.password", "repository"],
    );
    assert.match(errors[0].reason, /has a tag or digest/);
    assert.equal(resources.length, 0);
    assert.deepEqual(
      inputErrors(() => new MultiStageImage("web", { ...args, registry: {} })).map((e) => e.propertyPath),
      ["registry"],
    );
  });
});
