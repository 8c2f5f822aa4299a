/** `engine`: a daemonless engine's plan, and everything it cannot do refused by its property. */
import { strict as assert } from "assert";
import { parseDockerfile } from "../../../src/dockerfile";
import { type BuildPlanOptions, planBuild } from "../../../src/plan";
import { planProblems } from "../../helpers";

const DOCKERFILE = `FROM busybox:1.36 AS build
RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci
FROM busybox:1.36 AS app
COPY --from=build /out /out
`;

function plan(options: Partial<BuildPlanOptions>, text = "FROM busybox:1.36 AS app\nRUN true\n") {
  return planBuild(parseDockerfile(text, "/app/Dockerfile"), {
    context: "/app",
    environment: "staging",
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    ...options,
  });
}

describe("A daemonless engine (plan)", () => {
  it("names the engine in the plan; the Docker CLI's plans carry none (they are unchanged)", () => {
    assert.equal(plan({ engine: "podman" }).engine, "podman");
    assert.equal(plan({ engine: "buildah" }).engine, "buildah");
    assert.equal(plan({ engine: "docker" }).engine, undefined);
    assert.equal("engine" in plan({}), false);
  });

  it("refuses, by property, what only BuildKit's builders do", () => {
    assert.deepEqual(
      planProblems(() =>
        plan({
          engine: "podman",
          builder: "farm",
          platforms: ["linux/amd64", "linux/arm64"],
          attestations: { sbom: true },
          cacheFrom: ["type=local,src=/cache"],
          load: true,
        }),
      ).filter((p) => p.includes("podman")),
      [
        "builder: podman builds in its own process: it cannot use a buildx builder or a BuildKit endpoint.",
        "platforms: podman cannot build 2 platforms into one index here (that takes emulation and a manifest list).",
        "attestations: podman cannot push BuildKit's attestations in the index.",
        'cacheFrom[0]: podman reads no BuildKit cache ("type=local,src=/cache"); it keeps its own layer cache on the machine.',
        "load: podman keeps the image in its own store, not the Docker engine's.",
      ],
    );
  });

  it("refuses a secret given as an environment variable, at its line, with the file form as the fix", () => {
    const problems = planProblems(() => plan({ engine: "buildah", secrets: ["NPM_TOKEN"] }, DOCKERFILE));
    assert.deepEqual(problems, [
      'secrets.NPM_TOKEN: buildah cannot give the secret "NPM_TOKEN" as the environment variable NPM_TOKEN (RUN --mount=type=secret,env=…); it mounts secrets as files.',
    ]);
    // The Docker CLI (BuildKit) takes it.
    assert.deepEqual(
      planProblems(() => plan({ secrets: ["NPM_TOKEN"] }, DOCKERFILE)),
      [],
    );
  });
});
