/** Named build contexts in the plan: directories and images, what the closure reads of them, every bad one. */
import { strict as assert } from "assert";
import * as path from "path";
import { type BuildPlanOptions, closureImages, planBuild } from "../../../src/plan";
import { planProblems } from "../../helpers";
import { parseDockerfile } from "../../../src/dockerfile";

const TEXT = [
  "FROM node:20 AS build",
  "COPY --from=shared lib/a.js lib/b.js /app/",
  "RUN --mount=from=shared,source=tools,target=/t /t/run",
  "FROM nginx:1.27 AS web",
  "COPY --from=build /app /usr/share/nginx/html",
  "",
].join("\n");
const PARSED = parseDockerfile(TEXT, "Dockerfile");
const plan = (extra: Partial<BuildPlanOptions>): ReturnType<typeof planBuild> =>
  planBuild(PARSED, { context: ".", environment: "production", gitSha: "0123456789ab", builder: "farm", ...extra });
/** Errors as `error property: message`, warnings as `warning property: message`. */
const problems = (extra: Partial<BuildPlanOptions>): string[] =>
  planProblems(() => plan(extra)).map((p) => (p.startsWith("warning ") ? p : `error ${p}`));

describe("named contexts", () => {
  it("a directory context: absolute, and the stage reads only the paths it copies or mounts from it", () => {
    const made = plan({ contexts: { shared: "../libs/shared" } });
    assert.deepEqual(made.contexts, { shared: { kind: "directory", path: path.resolve("../libs/shared") } });
    const build = made.closure?.stages.find((s) => s.stage === "build");
    assert.deepEqual(build?.contexts, { shared: ["lib/a.js", "lib/b.js", "tools"] });
    // A directory is no image: nothing to pull or pin, no unpinned-image warning for "shared".
    assert.ok(!made.externalImages.includes("shared"));
    assert.ok(!closureImages(made).includes("shared"));
  });

  it("an image context keyed by a base image's name routes it through the mirror: the mirror's image is the base", () => {
    const mirror = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/node:20";
    const made = plan({ contexts: { shared: "/libs", "node:20": `docker-image://${mirror}` } });
    assert.deepEqual(made.contexts["node:20"], { kind: "image", image: mirror });
    assert.equal(made.closure?.stages.find((s) => s.stage === "build")?.base, `image ${mirror}`);
    assert.ok(closureImages(made).includes(mirror), "its digest is resolved and counted like any base's");
    assert.ok(made.externalImages.includes(mirror) && !made.externalImages.includes("node:20"));
  });

  it("refuses a stage's name, a URL, no builder; warns of a context nothing uses", () => {
    assert.deepEqual(
      problems({
        builder: undefined,
        contexts: { build: "/x", shared: "https://github.com/example/libs.git", unused: "/y" },
      }),
      [
        "error contexts: needs a builder: the Docker engine's own builder takes no named contexts.",
        'error contexts.build: "build" is a stage of Dockerfile too: FROM and --from would be ambiguous.',
        'error contexts.shared: "https://github.com/example/libs.git" is neither a directory nor docker-image://: Git and URL contexts cannot be hashed before the build.',
        'warning contexts.unused: no stage of the target uses "unused" (FROM unused, COPY --from=unused or RUN --mount=from=unused).',
        // Refused as a context, "shared" is what BuildKit would make of it: an image.
        'error undefined: COPY --from=shared names no stage of this Dockerfile, so it is the image "shared", which is not tagged, so each build may get a different image.',
      ],
    );
  });
});
