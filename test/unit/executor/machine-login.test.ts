/**
 * The machine's own registry logins, read as registry tools read them: REGISTRY_AUTH_FILE,
 * Docker's config.json auths, a credHelpers entry and the credsStore helper (real helper
 * programs on PATH, run as `docker-credential-<name> get`).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { machineLogin } from "../../../src/executor";

const b64 = (text: string): string => Buffer.from(text).toString("base64");

/** A home with a Docker config and a bin folder of credential helpers (each answers for `knows`). */
function machine(config: object, helpers: Record<string, Record<string, [string, string]>> = {}): NodeJS.ProcessEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-login-"));
  fs.mkdirSync(path.join(home, ".docker"));
  fs.writeFileSync(path.join(home, ".docker", "config.json"), JSON.stringify(config));
  const bin = path.join(home, "bin");
  fs.mkdirSync(bin);
  for (const [name, knows] of Object.entries(helpers)) {
    const cases = Object.entries(knows)
      .map(
        ([server, [user, secret]]) =>
          `  "${server}") echo '{"ServerURL":"${server}","Username":"${user}","Secret":"${secret}"}' ;;`,
      )
      .join("\n");
    const script = `#!/bin/sh\n[ "$1" = get ] || exit 2\nread server\ncase "$server" in\n${cases}\n  *) echo "credentials not found in native keychain" >&2; exit 1 ;;\nesac\n`;
    fs.writeFileSync(path.join(bin, `docker-credential-${name}`), script, { mode: 0o755 });
  }
  return { HOME: home, PATH: `${bin}:${process.env.PATH}` };
}

describe("The machine's own registry logins (machineLogin)", () => {
  it("reads a stored auths entry (by host, with or without a scheme)", async () => {
    const env = machine({ auths: { "https://registry.example.com": { auth: b64("ci:pw:with:colons") } } });
    const login = await machineLogin("registry.example.com", env);
    assert.deepEqual(login && { username: login.username, password: login.password }, {
      username: "ci",
      password: "pw:with:colons",
    });
    assert.match(login?.source ?? "", /config\.json \(auths\)$/);
  });

  it("asks the credHelpers entry's helper, which wins over auths", async () => {
    const env = machine(
      { auths: { "ghcr.io": { auth: b64("old:stale") } }, credHelpers: { "ghcr.io": "fake" } },
      { fake: { "ghcr.io": ["robot", "from-helper"] } },
    );
    const login = await machineLogin("ghcr.io", env);
    assert.equal(login?.password, "from-helper");
    assert.match(login?.source ?? "", /credHelpers: fake/);
  });

  it("asks the credsStore helper, by Docker Hub's legacy key for docker.io", async () => {
    const env = machine({ credsStore: "store" }, { store: { "https://index.docker.io/v1/": ["hubuser", "hubtoken"] } });
    assert.equal((await machineLogin("docker.io", env))?.username, "hubuser");
    assert.equal(await machineLogin("quay.io", env), undefined, "the store has none for quay.io");
  });

  it("REGISTRY_AUTH_FILE (Podman, Buildah) comes first; DOCKER_CONFIG moves Docker's", async () => {
    const env = machine({ auths: { "r.example.com": { auth: b64("docker:one") } } });
    const file = path.join(env.HOME as string, "auth.json");
    fs.writeFileSync(file, JSON.stringify({ auths: { "r.example.com": { auth: b64("podman:two") } } }));
    assert.equal((await machineLogin("r.example.com", { ...env, REGISTRY_AUTH_FILE: file }))?.password, "two");
    const moved = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-dockercfg-"));
    fs.writeFileSync(
      path.join(moved, "config.json"),
      JSON.stringify({ auths: { "r.example.com": { auth: b64("moved:three") } } }),
    );
    assert.equal((await machineLogin("r.example.com", { ...env, DOCKER_CONFIG: moved }))?.password, "three");
  });

  it("no config, or no entry: anonymous (undefined); a helper that is not installed is named", async () => {
    assert.equal(
      await machineLogin("r.example.com", { HOME: fs.mkdtempSync(path.join(os.tmpdir(), "x-")) }),
      undefined,
    );
    const env = machine({ credHelpers: { "r.example.com": "missing" } });
    await assert.rejects(
      machineLogin("r.example.com", env),
      /credential helper "missing".*docker-credential-missing is not installed/,
    );
  });

  it("a config that is not JSON fails naming the file, not a parse error", async () => {
    const env = machine({});
    fs.writeFileSync(path.join(env.HOME as string, ".docker", "config.json"), "{not json");
    await assert.rejects(machineLogin("r.example.com", env), /config\.json is not JSON/);
  });
});
