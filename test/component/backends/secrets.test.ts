/** Build secrets under mocks: handed to docker-build and docker-cli as secrets, refused by docker, found nowhere else. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { type BackendName, MultiStageImage } from "../../../src";
import { inputErrors, ofType, resources, settle, unwrapSecret, useStack } from "../mocks";
import { captureLogs, findLeaks } from "../secret-scan";

const TOKEN = "npm-token-value-7c1e2";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-build-secrets-"));
fs.writeFileSync(
  path.join(dir, "Dockerfile"),
  "FROM busybox:1.36 AS build\nRUN --mount=type=secret,id=NPM_TOKEN,required=true cat /run/secrets/NPM_TOKEN | wc -c > /n\nFROM busybox:1.36\nCOPY --from=build /n /n\n",
);

describe("Build secrets", () => {
  for (const [backend, type, field] of [
    ["docker-build", "docker-build:index:Image", "secrets"],
    ["docker-cli", "pulumi-nodejs:dynamic/multistage:DockerCliImage", "secrets"],
  ] as const) {
    it(`${backend}: the provider gets the secret as a secret; nothing else holds it`, async () => {
      useStack("production");
      const { result: image, lines } = await captureLogs(async () => {
        const made = new MultiStageImage("svc", {
          context: dir,
          backend: backend as BackendName,
          gitSha: "0123456789abcdef0123456789abcdef01234567",
          secrets: { NPM_TOKEN: pulumi.secret(TOKEN) },
        });
        await settle(made.imageUri, made.plan);
        return made;
      });
      const input = unwrapSecret<Record<string, string>>(ofType(type)[0].inputs[field]);
      assert.deepEqual(input, { secret: true, value: { NPM_TOKEN: TOKEN } });
      const leaks = await findLeaks(
        [TOKEN],
        { plan: image.plan, buildArgs: image.buildArgs, imageUri: image.imageUri },
        lines,
      );
      assert.deepEqual(leaks, []);
    });
  }

  it("the docker back end refuses secrets, and a required secret not given is refused, before anything is created", () => {
    useStack("production");
    assert.deepEqual(
      inputErrors(
        () =>
          new MultiStageImage("svc", {
            context: dir,
            backend: "docker",
            gitSha: "0123456789abcdef0123456789abcdef01234567",
            secrets: { NPM_TOKEN: pulumi.secret(TOKEN) },
          }),
      ).map((e) => e.propertyPath),
      ["secrets"],
    );
    const missing = inputErrors(
      () => new MultiStageImage("svc", { context: dir, gitSha: "0123456789abcdef0123456789abcdef01234567" }),
    );
    assert.deepEqual(
      missing.map((e) => e.propertyPath),
      ["secrets.NPM_TOKEN"],
    );
    assert.match(missing[0].reason, /mounts the required secret "NPM_TOKEN", which is not given/);
    assert.equal(resources.length, 0);
  });
});
