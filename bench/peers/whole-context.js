// The peer in `npm run bench:peers`: what a plain `@pulumi/docker-build` `Image` per service
// does, as a user writes it over a monorepo's root context. Its provider's binary cannot be
// installed on this machine (not served by the Go module proxy), so this dynamic resource
// does what that provider documents: the image is replaced whenever its inputs or the
// context hash change, the hash covering the Dockerfile and every file of the context the
// root `.dockerignore` admits; then it builds with BuildKit and pushes every tag.
// Plain JavaScript: the dynamic provider loads it by path in its own process.
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const ignore = require("@balena/dockerignore");

/** `sha256:` of the Dockerfile and every context file `.dockerignore` admits (path, mode, content). */
function contextHash(context, dockerfile) {
  const hash = crypto.createHash("sha256");
  hash.update(fs.readFileSync(dockerfile));
  const rules = path.join(context, ".dockerignore");
  const ignored = ignore().add(fs.existsSync(rules) ? fs.readFileSync(rules, "utf8") : "");
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(context, full).split(path.sep).join("/");
      if (ignored.ignores(relative)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        hash.update(`${relative}\0${fs.statSync(full).mode & 0o777}\0`);
        hash.update(fs.readFileSync(full));
      }
    }
  };
  walk(context);
  return `sha256:${hash.digest("hex")}`;
}

/** Build the plan with the Dockerfile as written, the whole context, and push every tag. */
async function buildAndPush(inputs) {
  const { DockerExecutor } = require(inputs.executorModule);
  const executor = new DockerExecutor({ env: process.env });
  try {
    // The one build entry: the engine's builder then a push, or BuildKit's builder pushing itself
    // (with the plan's cacheFrom/cacheTo); logged in first either way.
    await executor.login(inputs.registry);
    const pushed = await executor.buildImage(inputs.plan, inputs.repository, { push: true });
    return { digest: pushed.digest, imageUri: pushed.imageUri, fingerprint: inputs.fingerprint };
  } finally {
    executor.dispose();
  }
}

module.exports = { contextHash, buildAndPush };
