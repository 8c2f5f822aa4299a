import { strict as assert } from "assert";
import { parseDockerfile, resolveTarget } from "../../../src/dockerfile";
import { planBuild } from "../../../src/plan";
import { dockerfile } from "../../helpers";

const MONOREPO = `
  ARG NODE_IMAGE=node:20.18
  # deps: only the manifests
  FROM \${NODE_IMAGE} AS deps
  WORKDIR /app
  COPY services/api/package.json services/api/package-lock.json ./
  RUN npm ci
  FROM deps AS dev
  COPY services/api/test ./test
  COPY --chown=1000:1000 ["services/api/dev tools/", "./tools/"]
  CMD ["npm", "run", "dev"]
  FROM deps AS build
  COPY ./services/api/src/ ./src
  COPY libs/shared ./libs/shared
  ARG APP_VERSION=0.0.0
  RUN npm run build
  FROM busybox:1.36 AS production
  COPY --from=build /app/dist /app
  COPY <<EOF /app/config.json
  {"env": "production"}
  EOF
`;

function plan(text: string, environment: string, extra: Record<string, unknown> = {}) {
  return planBuild(dockerfile(text), { context: "/ctx", environment, ...extra });
}

describe("the closure of a target: what it reads", () => {
  it("lists the context paths the closure's COPY instructions read, normalised, and nothing another stage reads", () => {
    const prod = plan(MONOREPO, "production", { environments: { production: { allowUnpinnedBaseImages: true } } });
    assert.deepEqual(prod.closure?.patterns, [
      "libs/shared",
      "services/api/package-lock.json",
      "services/api/package.json",
      "services/api/src",
    ]);
    assert.equal(prod.closure?.wholeContext, undefined);
    const dev = plan(MONOREPO, "dev");
    assert.deepEqual(dev.closure?.patterns, [
      "services/api/dev tools",
      "services/api/package-lock.json",
      "services/api/package.json",
      "services/api/test",
    ]);
  });

  it("reduces the Dockerfile to the closure with the same lines: other stages become FROM scratch placeholders", () => {
    const prod = plan(MONOREPO, "production", { environments: { production: { allowUnpinnedBaseImages: true } } });
    const original = dockerfile(MONOREPO).text as string;
    const reduced = prod.closure?.dockerfile as string;
    assert.equal(reduced.split("\n").length, original.split("\n").length);
    const lines = reduced.split("\n");
    assert.equal(lines[6], "FROM scratch AS dev");
    assert.deepEqual(lines.slice(7, 10), ["", "", ""]);
    // What BuildKit will read resolves to the same target, the same stages, the same lines.
    const again = parseDockerfile(reduced, "Dockerfile");
    assert.deepEqual(again.diagnostics, []);
    const resolved = resolveTarget(again.model, { target: "production" });
    assert.ok(resolved.found);
    assert.deepEqual(
      resolved.stages.map((s) => [s.declaredName, s.line]),
      [
        ["deps", 3],
        ["build", 11],
        ["production", 16],
      ],
    );
    assert.ok(reduced.includes("COPY ./services/api/src/ ./src"));
    assert.ok(!reduced.includes("services/api/test"));
  });

  it("expands args in COPY sources with the values the build gets", () => {
    const text = `
      FROM busybox:1.36 AS app
      ARG SERVICE=api
      COPY services/\${SERVICE}/src /src
    `;
    assert.deepEqual(plan(text, "dev", { target: "app" }).closure?.patterns, ["services/api/src"]);
    assert.deepEqual(plan(text, "dev", { target: "app", buildArgs: { SERVICE: "web" } }).closure?.patterns, [
      "services/web/src",
    ]);
  });

  it("bind mounts from the context are reads; from a stage or a cache they are not", () => {
    const text = `
      FROM busybox:1.36 AS app
      RUN --mount=type=bind,source=scripts,target=/s sh /s/build.sh
      RUN --mount=type=cache,target=/root/.cache true
      RUN --mount=from=busybox:1.36,target=/b true
    `;
    assert.deepEqual(plan(text, "dev", { target: "app" }).closure?.patterns, ["scripts"]);
  });

  const whole: Array<[string, string, RegExp]> = [
    ["COPY . .", "COPY . .", /COPY \. \./],
    ["COPY ./ /app/", "COPY ./ /app/", /COPY \.\/ /],
    ["a bind mount without a source", "RUN --mount=type=bind,target=/src make", /RUN --mount=type=bind,target=\/src/],
    ["ADD of a URL", "ADD https://example.com/tool.tgz /opt/", /ADD https:\/\/example\.com\/tool\.tgz/],
    ["an ONBUILD trigger", "ONBUILD COPY . /app", /ONBUILD COPY \. \/app/],
    ["a source from an ENV variable", "ENV SRC=lib\nCOPY $SRC /lib", /COPY \$SRC/],
  ];
  for (const [title, instruction, what] of whole) {
    it(`${title} makes the closure read the whole context, and the plan says which stage and line`, () => {
      const text = `FROM busybox:1.36 AS app\nCOPY package.json /\n${instruction}\n`;
      const closure = plan(text, "dev", { target: "app" }).closure;
      assert.equal(closure?.patterns, undefined);
      assert.match(closure?.wholeContext?.what ?? "", what);
      assert.equal(closure?.wholeContext?.stage, "app");
      assert.equal(closure?.wholeContext?.line, instruction.startsWith("ENV") ? 4 : 3);
      assert.ok((closure?.wholeContext?.hint ?? "").length > 20);
      assert.equal(closure?.stages[0].reads, "all");
    });
  }

  it("only the closure decides: a dev stage's COPY . . does not make production read everything", () => {
    const text = `
      FROM busybox:1.36 AS dev
      COPY . .
      FROM busybox:1.36 AS production
      COPY bin/app /app
    `;
    const prod = plan(text, "production", { environments: { production: { allowUnpinnedBaseImages: true } } });
    assert.deepEqual(prod.closure?.patterns, ["bin/app"]);
    assert.ok(plan(text, "dev").closure?.wholeContext);
  });

  it("records each stage's inputs: instructions, base, stages and images it copies from, args (hashed)", () => {
    const prod = plan(MONOREPO, "production", {
      environments: { production: { allowUnpinnedBaseImages: true } },
      buildArgs: { APP_VERSION: "1.2.3" },
    });
    const stages = prod.closure?.stages ?? [];
    assert.deepEqual(
      stages.map((s) => [s.stage, s.base, s.uses, Object.keys(s.args)]),
      [
        ["deps", "image node:20.18", [], ["NODE_IMAGE"]],
        ["build", "stage deps", [], ["APP_VERSION"]],
        ["production", "image busybox:1.36", ["build"], []],
      ],
    );
    assert.match(stages[1].args.APP_VERSION, /^sha256:[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(stages).includes("1.2.3"), "values are hashed, not kept");
  });

  it("volatile args are passed to the build, and in the stage inputs by name only", () => {
    const options = {
      environments: { production: { allowUnpinnedBaseImages: true } },
      buildArgs: { APP_VERSION: "1.2.3" },
      volatileArgs: ["APP_VERSION"],
    };
    const prod = plan(MONOREPO, "production", options);
    assert.equal(prod.buildArgs.APP_VERSION, "1.2.3");
    assert.deepEqual(prod.volatileArgs, ["APP_VERSION"]);
    assert.deepEqual(prod.closure?.stages[1].args, { APP_VERSION: "volatile" });
  });

  it("a volatile arg that is no build arg of the environment is a warning on volatileArgs[i]", () => {
    const prod = plan(MONOREPO, "dev", { volatileArgs: ["BUILD_NUMBER"] });
    const warning = prod.warnings.find((w) => w.property === "volatileArgs[0]");
    assert.ok(warning);
    assert.match(warning.message, /volatile arg "BUILD_NUMBER" is not a build arg of environment "dev"/);
  });

  it("promotion: the plan carries the source environment's plan (its inputs find the image); promoting itself is an error", () => {
    const environments = {
      staging: { buildArgs: { APP_VERSION: "2.0.0" }, allowUnpinnedBaseImages: true },
      production: { promoteFrom: "staging", allowUnpinnedBaseImages: true },
    };
    const prod = plan(MONOREPO, "production", { environments });
    assert.equal(prod.promotion?.from, "staging");
    assert.equal(prod.promotion?.source.environment, "staging");
    assert.equal(prod.promotion?.source.targetStage, "production");
    assert.equal(prod.promotion?.source.buildArgs.APP_VERSION, "2.0.0");
    assert.equal(prod.promotion?.source.promotion, undefined);
    assert.throws(
      () => plan(MONOREPO, "production", { environments: { production: { promoteFrom: "production" } } }),
      /environments\.production\.promoteFrom: .*cannot promote its own image/,
    );
  });
});
