/**
 * One reference parser: `src/plan/image-ref.ts` (pure, the lowest layer that needs references;
 * the registry layer and every one above use it). No other module takes an image reference
 * apart by hand: the last ':' of `127.0.0.1:5055/app` is a port, not a tag.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers";

const PARSER = path.join("src", "plan", "image-ref.ts");
/** What taking a reference apart by hand looks like: cutting at the last ':' or '@', or the host as the first '/' part. */
const BY_HAND = [
  /\b(lastIndexOf|indexOf)\("[:@]"\)/,
  /\.split\("@"\)/,
  /\.split\(":"\)\.pop\(\)/,
  /\.split\("\/"\)\[0\]/,
];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? files(full) : e.name.endsWith(".ts") ? [full] : [];
  });
}

export function byHand(text: string): string[] {
  return text.split("\n").filter((line) => BY_HAND.some((p) => p.test(line)));
}

describe("One reference parser", () => {
  it("no module of src/, and no test, takes a reference apart by hand", () => {
    const found = ["src", "test"]
      .flatMap((d) => files(path.join(REPO_ROOT, d)))
      .filter((f) => path.relative(REPO_ROOT, f) !== PARSER && !f.endsWith("references.test.ts"))
      .flatMap((f) => byHand(fs.readFileSync(f, "utf8")).map((l) => `${path.relative(REPO_ROOT, f)}: ${l.trim()}`));
    assert.deepEqual(found, []);
  });

  it("the check sees a reference cut by hand (it can fail)", () => {
    assert.equal(byHand('const tag = ref.slice(ref.lastIndexOf(":") + 1);').length, 1);
    assert.equal(byHand('const [repo, digest] = uri.split("@");').length, 1);
    assert.equal(byHand('const tag = ref.split(":").pop();').length, 1);
    assert.equal(byHand('const host = url.split("/")[0];').length, 1);
    assert.equal(byHand("const ref = parseImageReference(uri);").length, 0);
  });
});

describe("One credential type", () => {
  it("only src/registry/ declares a password field (the credential type, and RegistryArgs, what users pass)", () => {
    const declares = /^\s*(readonly\s+)?password\??:\s*[^,]*;\s*$/;
    const found = files(path.join(REPO_ROOT, "src"))
      .filter((f) => !path.relative(REPO_ROOT, f).startsWith(path.join("src", "registry") + path.sep))
      .flatMap((f) =>
        fs
          .readFileSync(f, "utf8")
          .split("\n")
          .filter((l) => declares.test(l))
          .map((l) => `${path.relative(REPO_ROOT, f)}: ${l.trim()}`),
      );
    assert.deepEqual(found, []);
    assert.ok(declares.test("  readonly password?: string;"), "the check sees a declaration (it can fail)");
    assert.ok(!declares.test("    password: pulumi.secret(token.password),"), "not a value");
  });
});
