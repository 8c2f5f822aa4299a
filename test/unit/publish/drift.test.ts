/** Refresh against a registry on this machine that answers well, or badly. */
import { strict as assert } from "assert";
import { registryDrift } from "../../../src/publish";
import { registryClient } from "../../../src/host";
import { fakeRegistry } from "../fake-registry";

const DIGEST = `sha256:${"c".repeat(64)}`;
const OTHER = `sha256:${"d".repeat(64)}`;

describe("registryDrift", () => {
  it("reads each release tag with the reference parser: a registry's port is not a tag", async () => {
    const asked: string[] = [];
    const reg = await fakeRegistry((req, res) => {
      asked.push(req.url ?? "");
      const ref = (req.url ?? "").split("/manifests/")[1];
      res.writeHead(200, { "docker-content-digest": ref === "moved" ? OTHER : DIGEST });
      res.end();
    });
    try {
      const repo = `${reg.server}/team/app`;
      const drift = await registryDrift(
        { digest: DIGEST, imageUri: `${repo}@${DIGEST}`, references: [`${repo}:dev-1`, `${repo}:moved`, repo] },
        {},
        registryClient(),
      );
      assert.deepEqual(asked, [
        `/v2/team/app/manifests/${DIGEST}`,
        "/v2/team/app/manifests/dev-1",
        "/v2/team/app/manifests/moved",
      ]);
      assert.equal(drift, `tag moved now points to ${OTHER}; the state's reference ${repo} holds no tag to check`);
    } finally {
      await reg.close();
    }
  });

  it("a malformed Docker-Content-Digest fails the refresh, naming the step; it is not recorded as drift", async () => {
    const reg = await fakeRegistry((_req, res) => {
      res.writeHead(200, { "docker-content-digest": "sha256:<script>" });
      res.end();
    });
    try {
      const repo = `${reg.server}/team/app`;
      await assert.rejects(
        registryDrift(
          { digest: DIGEST, imageUri: `${repo}@${DIGEST}`, references: [`${repo}:dev-1`] },
          {},
          registryClient(),
        ),
        (err: Error) =>
          /^refresh in 127\.0\.0\.1:\d+ failed: .*not a digest.*The state is unchanged/s.test(err.message),
      );
    } finally {
      await reg.close();
    }
  });
});

describe("registryDrift through a registry client of its own (the refresh step, no registry)", () => {
  it("nothing changed: no drift; the digest gone and a tag moved: both said", async () => {
    const repo = "registry.example.com/team/app";
    const record = { digest: DIGEST, imageUri: `${repo}@${DIGEST}`, references: [`${repo}:dev-1`] };
    const held: Record<string, string> = { [DIGEST]: DIGEST, "dev-1": DIGEST };
    const client = { findManifest: async (_r: string, reference: string) => held[reference] };
    assert.equal(await registryDrift(record, {}, client), undefined);
    delete held[DIGEST];
    held["dev-1"] = OTHER;
    assert.equal(
      await registryDrift(record, {}, client),
      `${repo} no longer holds ${DIGEST} (deleted or expired); tag dev-1 now points to ${OTHER}`,
    );
  });

  it("an image pushed with the machine's own login (none in the state) is refreshed with that login", async () => {
    const repo = "registry.example.com/team/app";
    const record = { digest: DIGEST, imageUri: `${repo}@${DIGEST}`, references: [`${repo}:dev-1`] };
    const users: string[] = [];
    const client = {
      machineLogin: async (server: string) => ({ server, username: "robot", password: "machine-pw" }),
      findManifest: async (_r: string, reference: string, access: { username?: string }) => {
        users.push(access.username ?? "anonymous");
        return reference === "dev-1" || reference === DIGEST ? DIGEST : undefined;
      },
    };
    assert.equal(await registryDrift(record, {}, client), undefined);
    assert.deepEqual([...new Set(users)], ["robot"]);
    users.length = 0;
    // A login kept in the state (given in the program) wins over the machine's.
    await registryDrift(record, { username: "ci", password: "given" }, client);
    assert.deepEqual([...new Set(users)], ["ci"]);
  });
});
