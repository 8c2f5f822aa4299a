/**
 * Every example, built for dev and for production by the real engine from the
 * plan the component makes, pushed with auth to the real registry, pulled back
 * by digest; then the images' contents, args and sizes are checked.
 */
import { strict as assert } from "assert";
import type { BuildPlan } from "../../src";
import type { ImageInspect } from "../../src/executor";
import { EXAMPLES, type ExampleName, type LocalRelease, localPlan, releaseLocally } from "../../scripts/lib/local";
import { type Engine, requireEngine } from "./engine";

interface Built {
  plan: BuildPlan;
  release: LocalRelease;
  files: Set<string>;
  inspect: ImageInspect;
}

const built: Record<string, Built> = {};

async function buildExample(engine: Engine, name: ExampleName, environment: string): Promise<Built> {
  const plan = localPlan(name, environment);
  const release = await releaseLocally(engine.executor, plan, `multistage-tests/${name}`, engine.registry);
  // Forget the local tags, then pull by the digest the build reported.
  await engine.executor.removeImages(release.references);
  await engine.executor.pull(release.imageUri);
  const inspect = await engine.executor.inspect(release.imageUri);
  const files = new Set(await engine.executor.listFiles(release.imageUri));
  return { plan, release, files, inspect };
}

/** Assert which paths the image of `key` (`example/environment`) holds and which it must not. */
function expectFiles(key: string, present: readonly string[], absent: readonly string[] = []): void {
  const { files } = built[key];
  for (const f of present) assert.ok(files.has(f), `${key} image lacks ${f}`);
  for (const f of absent) assert.ok(!files.has(f), `${key} image holds ${f}`);
}

function envOf(inspect: ImageInspect, name: string): string | undefined {
  return inspect.Config.Env?.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
}

function ratio(name: string): number {
  const r = built[`${name}/dev`].inspect.Size / built[`${name}/production`].inspect.Size;
  console.log(
    `      ${name}: dev ${(built[`${name}/dev`].inspect.Size / 1e6).toFixed(1)} MB, production ${(built[`${name}/production`].inspect.Size / 1e6).toFixed(1)} MB → ${r.toFixed(2)}x smaller`,
  );
  return r;
}

describe("Integration: examples built by the real engine and pushed to the real registry", function () {
  this.timeout(600000);
  let engine: Engine;

  before(async function () {
    engine = requireEngine(this);
    for (const name of EXAMPLES) {
      for (const environment of ["dev", "production"]) {
        built[`${name}/${environment}`] = await buildExample(engine, name, environment);
      }
    }
  });

  describe("digests", () => {
    it("the pushed digest is the registry's manifest digest, for every build", () => {
      for (const [key, b] of Object.entries(built)) {
        assert.match(b.release.digest, /^sha256:[0-9a-f]{64}$/, key);
        assert.equal(b.release.digest, b.release.registryDigest, key);
        assert.equal(b.release.imageUri, `${b.release.repository}@${b.release.digest}`, key);
      }
    });

    it("pulling by digest gives back the image that was built", () => {
      for (const [key, b] of Object.entries(built)) {
        assert.equal(b.inspect.Id, b.release.imageId, key);
        assert.ok(b.inspect.RepoDigests?.includes(b.release.imageUri), key);
      }
    });

    it("dev and production of one app are different images under different tags", () => {
      const dev = built["node-service/dev"].release;
      const prod = built["node-service/production"].release;
      assert.notEqual(dev.digest, prod.digest);
      assert.match(dev.references[0], /:dev-/);
      assert.match(prod.references[0], /:production-/);
    });
  });

  describe("node-service (seed 002: deps → builder → tester → production)", () => {
    it("dev builds `builder`: sources, devDependencies and npm are in the image", () => {
      const { plan, inspect } = built["node-service/dev"];
      assert.equal(plan.targetStage, "builder");
      expectFiles("node-service/dev", [
        "/app/src/server.js",
        "/app/test/server.test.js",
        "/app/node_modules/tiny-check/cli.js",
        "/usr/local/lib/node_modules/npm/package.json",
      ]);
      assert.equal(envOf(inspect, "NODE_ENV"), "development");
    });

    it("production builds the final stage: dist and runtime deps only, no sources, dev deps, tests or npm", () => {
      const { plan, inspect } = built["node-service/production"];
      assert.equal(plan.targetStage, "production");
      assert.deepEqual(plan.skippedStages, ["tester"]);
      expectFiles(
        "node-service/production",
        ["/app/dist/index.js", "/app/dist/version.json", "/app/node_modules/greeting/index.js"],
        ["/app/src", "/app/test", "/app/node_modules/tiny-check", "/usr/local/lib/node_modules/npm", "/app/vendor"],
      );
      assert.equal(envOf(inspect, "NODE_ENV"), "production");
      assert.equal(inspect.Config.User, "nobody");
    });

    it("APP_VERSION reaches the builder stage and is baked into the production image", async () => {
      const out = await engine.executor.runImage(built["node-service/production"].release.imageUri, [
        "node",
        "-p",
        "require('/app/dist/version.json').version",
      ]);
      assert.equal(out.trim(), "1.0.0");
    });

    it("the production service starts and answers", async () => {
      const script =
        "require('/app/dist/server.js'); const {handler}=require('/app/dist/server.js'); let b=''; handler('x')({url:'/'},{setHeader(){},end:(s)=>b=s}); console.log(b)";
      const out = await engine.executor.runImage(built["node-service/production"].release.imageUri, [
        "node",
        "-e",
        script,
      ]);
      assert.deepEqual(JSON.parse(out), { message: "Hello, world!", version: "x" });
    });

    it("production is smaller than dev; with the Debian-based node:20 stand-in, the build toolchain stays out", () => {
      const r = ratio("node-service");
      assert.ok(r > 1);
      if (built["node-service/dev"].files.has("/usr/bin/gcc")) {
        assert.ok(!built["node-service/production"].files.has("/usr/bin/gcc"), "production image holds gcc");
        assert.ok(r > 3, `ratio ${r.toFixed(2)} with a full toolchain in dev`);
      } else {
        console.log("      (node:20 stand-in is the busybox fallback: debootstrap was not available)");
      }
    });
  });

  describe("node-nginx (seed 000: node build → nginx)", () => {
    it("dev builds `build`: node, sources and the dev server", () => {
      assert.equal(built["node-nginx/dev"].plan.targetStage, "build");
      expectFiles("node-nginx/dev", [
        "/app/src/index.html",
        "/app/scripts/dev-server.js",
        "/app/build/index.html",
        "/usr/local/bin/node",
      ]);
    });

    it("production holds only the built site in the web server's root: no node, no sources", () => {
      const { plan, files } = built["node-nginx/production"];
      assert.equal(plan.targetStage, "web");
      expectFiles(
        "node-nginx/production",
        ["/usr/share/nginx/html/index.html", "/usr/share/nginx/html/build.json"],
        ["/usr/local/bin/node"],
      );
      assert.ok(![...files].some((f) => f.startsWith("/app")), "production image holds /app");
    });

    it("each environment's PUBLIC_URL is baked into its build", async () => {
      const read = (b: Built, file: string) => engine.executor.runImage(b.release.imageUri, ["cat", file], "");
      const prod = JSON.parse(await read(built["node-nginx/production"], "/usr/share/nginx/html/build.json"));
      assert.equal(prod.publicUrl, "/app/");
      const dev = JSON.parse(await read(built["node-nginx/dev"], "/app/build/build.json"));
      assert.equal(dev.publicUrl, "/");
    });

    it("production is much smaller than dev", () => {
      assert.ok(ratio("node-nginx") > 10);
    });
  });

  describe("static-binary (builder → scratch, with an external-image COPY --from)", () => {
    it("production is a scratch image with exactly the binary, the program and the file copied from busybox:1.36-musl", () => {
      const { plan, files } = built["static-binary/production"];
      assert.equal(plan.targetStage, "release");
      assert.deepEqual(plan.externalImages, ["multistage-local/busybox:1", "busybox:1.36-musl"]);
      const regular = [...files].filter(
        (f) =>
          ![
            "/app",
            "/etc",
            "/dev",
            "/proc",
            "/sys",
            "/etc/hostname",
            "/etc/hosts",
            "/etc/resolv.conf",
            "/etc/mtab",
            "/dev/console",
            "/dev/pts",
            "/dev/shm",
            "/.dockerenv",
          ].includes(f),
      );
      assert.deepEqual(regular.sort(), ["/app/VERSION", "/app/busybox", "/app/hello.sh", "/etc/passwd"]);
    });

    it("runs, printing the APP_VERSION baked in by the builder stage", async () => {
      const out = await engine.executor.runImage(built["static-binary/production"].release.imageUri);
      assert.equal(out.trim(), "hello from a scratch image, version 2.0.0");
    });

    it("dev builds `builder`, with the sources and tests", () => {
      assert.equal(built["static-binary/dev"].plan.targetStage, "builder");
      expectFiles("static-binary/dev", ["/src/test/run.sh", "/src/src/hello.sh", "/bin/sh"]);
    });

    it("production is smaller than dev", () => {
      assert.ok(ratio("static-binary") > 1);
    });
  });

  describe("go-service (seed 003: Go toolchain → scratch, cross-compiled)", () => {
    it("production is a scratch image with the static binary alone, run as nobody", () => {
      const { plan, files, inspect } = built["go-service/production"];
      assert.equal(plan.targetStage, "production");
      // `docker create` adds the runtime's own entries (/.dockerenv, /dev, /proc, /sys, /etc/hosts…).
      const runtime = /^\/(\.dockerenv|dev|proc|sys|etc)(\/|$)/;
      assert.deepEqual(
        [...files].filter((f) => f !== "/" && !runtime.test(f)),
        ["/server"],
      );
      assert.equal(inspect.Config.User, "65534:65534");
      assert.deepEqual(inspect.Config.Entrypoint, ["/server"]);
    });

    it("runs, reporting the APP_VERSION baked in by the builder stage and its platform", async () => {
      const out = await engine.executor.runImage(built["go-service/production"].release.imageUri, ["--version"]);
      assert.deepEqual(JSON.parse(out), { service: "go-service", version: "1.0.0", os: "linux", arch: "amd64" });
    });

    it("dev builds `builder`: the Go toolchain and the sources", () => {
      assert.equal(built["go-service/dev"].plan.targetStage, "builder");
      expectFiles("go-service/dev", ["/usr/local/go/bin/go", "/src/main.go", "/src/main_test.go", "/out/server"]);
    });

    it("production is far smaller than dev", () => {
      assert.ok(ratio("go-service") > 20);
    });
  });

  /** Build the production plan's test gate afresh (no cache, no tag, as the docker-cli back end does) and return its log. */
  async function buildTestGate(name: ExampleName): Promise<string> {
    const plan = localPlan(name, "production");
    assert.equal(plan.testTarget, "test");
    const gate = { ...plan, target: plan.testTarget, tags: [] };
    const result = await engine.executor.build(gate, `multistage-tests/${name}`, { noCache: true });
    return result.log;
  }

  describe("php-laravel (seed 003: Composer → PHP-FPM)", () => {
    it("production is PHP-FPM with the production dependencies and the app: no Composer, tests, dev dependencies or path packages", () => {
      const { plan, inspect } = built["php-laravel/production"];
      assert.equal(plan.targetStage, "production");
      assert.deepEqual(plan.stages, ["composer-build", "production"]);
      expectFiles(
        "php-laravel/production",
        [
          "/var/www/html/vendor/autoload.php",
          "/var/www/html/vendor/acme/greeting/src/Greeter.php",
          "/var/www/html/app/Http/Controllers/HelloController.php",
          "/var/www/html/public/index.php",
          "/var/www/html/routes/web.php",
          "/usr/sbin/php-fpm8.2",
        ],
        [
          "/var/www/html/vendor/acme/testkit",
          "/var/www/html/tests",
          "/var/www/html/packages",
          "/var/www/html/composer.lock",
          "/usr/bin/composer",
          "/usr/share/php/Composer",
        ],
      );
      assert.equal(inspect.Config.User, "www-data");
      assert.deepEqual(inspect.Config.Cmd, ["php-fpm"]);
      assert.deepEqual(inspect.Config.ExposedPorts, { "9000/tcp": {} });
    });

    it("the front controller answers through the Composer autoloader, with APP_VERSION, and PHP-FPM's configuration holds", async () => {
      const image = built["php-laravel/production"].release.imageUri;
      const root = await engine.executor.runImage(image, ["php", "public/index.php"]);
      assert.deepEqual(JSON.parse(root), { message: "Hello, world!", version: "1.0.0", php: "8.2" });
      const health = await engine.executor.runImage(image, ["sh", "-c", "REQUEST_URI=/health php public/index.php"]);
      assert.deepEqual(JSON.parse(health), { status: "ok" });
      const fpm = await engine.executor.runImage(image, ["sh", "-c", "php-fpm -t 2>&1"]);
      assert.match(fpm, /configuration file .*php-fpm\.conf test is successful/);
    });

    it("dev builds `dev`: PHP's CLI, Composer, the dev dependencies, the tests and the path packages", () => {
      assert.equal(built["php-laravel/dev"].plan.targetStage, "dev");
      expectFiles("php-laravel/dev", [
        "/usr/bin/composer",
        "/app/vendor/acme/testkit/src/TestCase.php",
        "/app/vendor/acme/greeting/src/Greeter.php",
        "/app/tests/HelloTest.php",
        "/app/packages/greeting/composer.json",
      ]);
    });

    it("the `test` stage (the production gate) runs the app's tests", async () => {
      const log = await buildTestGate("php-laravel");
      assert.match(log, /ok {3}HelloTest::testGreetsByName/);
      assert.match(log, /ok {3}HelloTest::testRoutesAnswerHealth/);
    });

    it("production is smaller than dev", () => {
      assert.ok(ratio("php-laravel") > 2);
    });
  });

  describe("jvm-service (seed 004: JDK + build tool → JRE, stage BUILD_IMAGE)", () => {
    it("production is the JRE and the jar alone, run as nobody: no JDK compiler, build tool, sources or local repository", () => {
      const { plan, inspect } = built["jvm-service/production"];
      assert.equal(plan.targetStage, "production");
      assert.deepEqual(plan.stages, ["BUILD_IMAGE", "production"]);
      expectFiles(
        "jvm-service/production",
        ["/home/app/myapp.jar", "/opt/java/bin/java"],
        [
          "/opt/java/bin/javac",
          "/usr/share/maven",
          "/root/.m2",
          "/home/app/src",
          "/home/app/pom.xml",
          "/home/app/target",
        ],
      );
      assert.equal(inspect.Config.User, "65534:65534");
    });

    it("the jar runs on the JRE, reporting the APP_VERSION Maven wrote into its manifest", async () => {
      const out = await engine.executor.runImage(built["jvm-service/production"].release.imageUri, [
        "java",
        "-jar",
        "myapp.jar",
        "--version",
      ]);
      assert.deepEqual(JSON.parse(out), { message: "Hello, world!", version: "1.0.0", runtime: "java 17" });
    });

    it("dev builds BUILD_IMAGE (named in capitals, as the seed does): the JDK, Maven, the sources and the jar", () => {
      assert.equal(built["jvm-service/dev"].plan.targetStage, "BUILD_IMAGE");
      expectFiles("jvm-service/dev", [
        "/opt/java/bin/javac",
        "/usr/share/maven/bin/mvn",
        "/home/app/pom.xml",
        "/home/app/src/main/java/com/example/App.java",
        "/home/app/target/myapp.jar",
      ]);
    });

    it("the `test` stage (the production gate) runs the JUnit tests offline", async () => {
      const log = await buildTestGate("jvm-service");
      assert.match(log, /Tests run: 2, Failures: 0, Errors: 0, Skipped: 0/);
      assert.match(log, /BUILD SUCCESS/);
    });

    it("production is smaller than dev", () => {
      assert.ok(ratio("jvm-service") > 3);
    });
  });
});
