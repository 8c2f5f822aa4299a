/**
 * Every string the component's args take is decided once, in the field table: a secret (kept as
 * one), credential-checked (`credentialFree`: refused when it carries a credential, since its value
 * is kept in the plan, the state or the image), or a place listed here with why a credential cannot
 * be in it. A string field added without that decision fails this test.
 */
import { strict as assert } from "assert";
import { COMPONENT_SPEC } from "../../src/component";
import type { FieldSpec } from "../../src/plan";

/** The string places of the table that are neither secret nor credential-checked (`*` a map's key, `[]` a list's item). */
function uncheckedStrings(
  spec: FieldSpec,
  path = "",
  checked = false,
  secret = false,
  out = new Set<string>(),
): Set<string> {
  const c = checked || spec.credentialFree !== undefined;
  const s = secret || !!spec.secret;
  const at = (key: string): string => (path ? `${path}.${key}` : key);
  if (spec.type === "string" && !c && !s) out.add(path);
  if (spec.type === "object")
    for (const [key, field] of Object.entries(spec.fields)) uncheckedStrings(field, at(key), c, s, out);
  if (spec.type === "list") uncheckedStrings(spec.of, `${path}[]`, c, s, out);
  if (spec.type === "map") uncheckedStrings(spec.of, at("*"), c, s, out);
  if (spec.type === "oneOf") for (const option of spec.options) uncheckedStrings(option, path, c, s, out);
  return out;
}

/** Why each unchecked place cannot carry a credential: its form admits none, or it is not kept. */
const STAGE = "a stage name, checked against the Dockerfile's stages";
const TAG = "a tag or tag template, checked by the tag's form (no ':', '/' or '@')";
const ENVIRONMENT = "an environment name, checked by its form (it goes into tags)";
const ALLOWED = "one of a few allowed values";
const PLATFORM = "a platform, checked by its form (os/arch[/variant])";
const LOCAL_PATH = "a path on this machine, read there, not kept as a URL";
const AWS = "an AWS name, ARN, account or region, checked by its form";
const REASONS: Record<string, string> = {
  dockerfile: LOCAL_PATH,
  dockerfileInline:
    "the Dockerfile's own text, like a Dockerfile file's (BuildKit's own SecretsUsedInArgOrEnv lint sees ARG and ENV)",
  target: STAGE,
  "environments.*.target": STAGE,
  "devTargets[]": STAGE,
  testStage: STAGE,
  "noCacheFilter[]": STAGE,
  "additionalImages.*.target": STAGE,
  "additionalImages.*.target.*": STAGE,
  "environments.*.kind": ALLOWED,
  "environments.*.attestations.provenance": ALLOWED,
  "environments.*.attestations.store": ALLOWED,
  "attestations.provenance": ALLOWED,
  "attestations.store": ALLOWED,
  "registryCache.mode": ALLOWED,
  engine: ALLOWED,
  network: ALLOWED,
  backend: ALLOWED,
  "repository.imageTagMutability": ALLOWED,
  "tags[]": TAG,
  "movingTags[]": TAG,
  "environments.*.tags[]": TAG,
  tagStrategy: TAG,
  "tagStrategy[]": TAG,
  version: "the release's version, which goes into tags, checked as a tag",
  gitSha: "a commit, checked as 7 to 64 hexadecimal digits",
  environment: ENVIRONMENT,
  "environments.*.promoteFrom": ENVIRONMENT,
  "registryCache.fromEnvironments[]": ENVIRONMENT,
  platform: PLATFORM,
  "platforms[]": PLATFORM,
  "environments.*.platform": PLATFORM,
  "environments.*.platforms[]": PLATFORM,
  shmSize: "a size, checked by its form",
  "environments.*.sizeBudget": "a size, checked by its form",
  "ulimits[]": "a limit, checked as name=soft[:hard]",
  "allow[]": ALLOWED,
  "addHosts[]": "a host entry, checked as name:ip",
  "volatileArgs[]": "a build arg's name, not its value",
  "ssh[].id": "an SSH mount's id, checked by its form",
  "ssh[].paths[]": "an agent socket or key file on this machine: its path, never its content",
  "signing.publicKeys[]": "a public key or its path; a private key is refused (holdsPrivateKey)",
  "registry.username": "a user name; its password is the secret",
  "repository.existing": AWS,
  "repository.name": AWS,
  "repository.encryption": ALLOWED,
  "repository.encryption.kmsKeyArn": AWS,
  "repository.lifecyclePolicy.taggedPatterns[]": TAG,
  "repository.pullAccess.accounts[]": AWS,
  "repository.pullAccess.principals[]": AWS,
  "repository.replicateTo[].region": AWS,
  "repository.replicateTo[].registryId": AWS,
};

describe("Each string of the args: secret, credential-checked, or why it needs neither", () => {
  it("the field table decides every string place; the places it leaves unchecked are the reasoned ones", () => {
    const unchecked = [...uncheckedStrings(COMPONENT_SPEC)].sort();
    assert.deepEqual(
      unchecked.filter((p) => !(p in REASONS)),
      [],
      "a string place neither secret nor credential-checked, with no reason here: give it credentialFree, or its reason",
    );
    assert.deepEqual(
      Object.keys(REASONS).filter((p) => !unchecked.includes(p)),
      [],
      "a reason for a place that is checked now (or gone): remove it",
    );
  });

  it("build args, labels, cache entries, contexts and AWS tags are checked, additional images' build args too", () => {
    const all = new Set<string>();
    const visit = (spec: FieldSpec, path: string): void => {
      if (spec.credentialFree !== undefined) all.add(path);
      if (spec.type === "object") for (const [k, f] of Object.entries(spec.fields)) visit(f, path ? `${path}.${k}` : k);
      if (spec.type === "list") visit(spec.of, `${path}[]`);
      if (spec.type === "map") visit(spec.of, `${path}.*`);
    };
    visit(COMPONENT_SPEC, "");
    for (const place of [
      "buildArgs",
      "labels",
      "cacheFrom",
      "contexts",
      "additionalImages.*.buildArgs",
      "repository.tags",
    ])
      assert.ok(all.has(place), `${place} is not credential-checked`);
  });
});
