/**
 * Tagging against a registry as strict as ECR with an immutable repository: any PUT to a tag
 * that exists is refused with 400 TAG_INVALID, even of the same digest (aws/containers-roadmap#2179).
 * A tag that already names the image is not put again; one naming another image is refused by
 * its code, naming the tag, both images and the fix.
 */
import { strict as assert } from "assert";
import { createHash } from "crypto";
import { tagManifest } from "../../../src/registry";
import { fakeRegistry, registryFailure } from "../fake-registry";

const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json" });
const DIGEST = `sha256:${createHash("sha256").update(MANIFEST).digest("hex")}`;
const OTHER = `sha256:${"0".repeat(64)}`;

/** An immutable repository `team/app` holding the manifest by digest and `tags` (tag → digest). */
async function immutableRegistry(tags: Record<string, string>) {
  const puts: string[] = [];
  const reg = await fakeRegistry((req, res) => {
    const ref = decodeURIComponent((req.url ?? "").split("/manifests/")[1] ?? "");
    const digest = ref.startsWith("sha256:") ? (ref === DIGEST ? DIGEST : undefined) : tags[ref];
    if (req.method === "HEAD" || req.method === "GET") {
      if (!digest) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(req.method === "GET" ? JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN" }] }) : undefined);
        return;
      }
      res.writeHead(200, {
        "docker-content-digest": digest,
        "content-type": "application/vnd.oci.image.manifest.v1+json",
      });
      res.end(req.method === "GET" ? MANIFEST : undefined);
      return;
    }
    puts.push(ref);
    if (tags[ref] !== undefined) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          errors: [
            {
              code: "TAG_INVALID",
              message: `The image tag '${ref}' already exists in the 'team/app' repository and cannot be overwritten because the tag is immutable.`,
            },
          ],
        }),
      );
      return;
    }
    tags[ref] = DIGEST;
    res.writeHead(201, { "docker-content-digest": DIGEST });
    res.end();
  });
  return { reg, puts, tags };
}

describe("Tags on a registry with immutable tags (ECR's rule)", () => {
  it("a tag that already names the image is not put again; a new one is", async () => {
    const { reg, puts } = await immutableRegistry({ "production-abc": DIGEST });
    try {
      await tagManifest("team/app", DIGEST, ["production-abc", "v1.2.0"], { server: reg.server });
      assert.deepEqual(puts, ["v1.2.0"]);
      // Again, with empty state (a new CI checkout): nothing is put, nothing fails.
      await tagManifest("team/app", DIGEST, ["production-abc", "v1.2.0"], { server: reg.server });
      assert.deepEqual(puts, ["v1.2.0"]);
      assert.ok(!reg.seen.some((r) => r.startsWith("GET") && r.endsWith("production-abc")));
    } finally {
      await reg.close();
    }
  });

  it("a tag naming another image is refused by its code: the tag, both digests and the fix", async () => {
    const { reg } = await immutableRegistry({ latest: OTHER });
    try {
      const err = await registryFailure(() => tagManifest("team/app", DIGEST, ["latest"], { server: reg.server }));
      assert.equal(err.status, 400);
      assert.equal(err.code, "TAG_INVALID");
      assert.match(err.message, new RegExp(`the tag latest of team/app already names ${OTHER}`));
      assert.match(err.message, new RegExp(`cannot name ${DIGEST}`));
      assert.match(err.message, /IMMUTABLE_WITH_EXCLUSION/);
    } finally {
      await reg.close();
    }
  });
});
