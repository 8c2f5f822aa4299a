import { strict as assert } from "assert";
import { locateImage } from "../../../src/executor/image-digests";

describe("where an image reference lives", () => {
  it("Docker Hub names, hosts with ports, digests", () => {
    const cases: Array<[string, string, string, string]> = [
      ["node:20", "registry-1.docker.io", "library/node", "20"],
      ["node", "registry-1.docker.io", "library/node", "latest"],
      ["bitnami/redis:7", "registry-1.docker.io", "bitnami/redis", "7"],
      ["docker.io/library/alpine:3.20", "registry-1.docker.io", "library/alpine", "3.20"],
      ["docker.io/alpine", "registry-1.docker.io", "library/alpine", "latest"],
      ["ghcr.io/team/app:v1", "ghcr.io", "team/app", "v1"],
      ["127.0.0.1:5055/multistage-local/php:8.2-fpm-slim", "127.0.0.1:5055", "multistage-local/php", "8.2-fpm-slim"],
      ["localhost/img", "localhost", "img", "latest"],
      [`node:20@sha256:${"c".repeat(64)}`, "registry-1.docker.io", "library/node", `sha256:${"c".repeat(64)}`],
      ["multistage-local/node:20-slim", "registry-1.docker.io", "multistage-local/node", "20-slim"],
    ];
    for (const [image, server, repository, reference] of cases)
      assert.deepEqual(locateImage(image), { server, repository, reference }, image);
  });
});
