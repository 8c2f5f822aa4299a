/**
 * A signing key whose password is wrong, with the real cosign: said as the args name it
 * (signing.keyPassword, signing.key), not as cosign's "decrypt: encrypted: decryption failed",
 * and neither the key nor the password in the message.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SupplyChain } from "../../src/executor";
import { type SupplyChainTools, requireSupplyChain } from "./engine";

describe("Integration: a signing key's wrong password, with the real cosign", function () {
  this.timeout(120000);
  let tools: SupplyChainTools;
  let key: string;
  before(function () {
    tools = requireSupplyChain(this);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-keypair-"));
    execFileSync(tools.cosign, ["generate-key-pair"], {
      cwd: dir,
      env: { ...process.env, COSIGN_PASSWORD: "the-right-one" },
      stdio: "ignore",
    });
    key = fs.readFileSync(path.join(dir, "cosign.key"), "utf8");
  });

  const chain = (): SupplyChain =>
    new SupplyChain({ cosign: tools.cosign, dockerConfig: fs.mkdtempSync(path.join(os.tmpdir(), "multistage-sc-")) });

  it("the right password opens it", async () => {
    assert.match(await chain().publicKey({ key, keyPassword: "the-right-one" }), /BEGIN PUBLIC KEY/);
  });

  for (const keyPassword of ["a-wrong-password", undefined])
    it(`${keyPassword ? "a wrong" : "no"} password: refused naming signing.keyPassword, nothing secret shown`, async () => {
      const err = await chain()
        .publicKey({ key, keyPassword })
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      assert.ok(err instanceof Error);
      assert.match(err.message, /^signing\.keyPassword does not open signing\.key/);
      if (!keyPassword) assert.match(err.message, /no keyPassword was given/);
      assert.doesNotMatch(err.message, /PRIVATE KEY|a-wrong-password|the-right-one/);
    });
});
