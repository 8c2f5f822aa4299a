import { strict as assert } from "assert";
import { isLoopbackRegistry, parseBearerChallenge } from "../../../src/executor";

describe("registry auth challenges", () => {
  it("reads a Bearer challenge's realm, service and scope, quoted or not", () => {
    assert.deepEqual(
      parseBearerChallenge(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:team/app:pull,push"',
      ),
      { realm: "https://ghcr.io/token", service: "ghcr.io", scope: "repository:team/app:pull,push" },
    );
    assert.deepEqual(parseBearerChallenge("bearer realm=https://auth.example.com/t, service=reg"), {
      realm: "https://auth.example.com/t",
      service: "reg",
    });
    assert.deepEqual(parseBearerChallenge('Bearer realm="https://a/t",error="insufficient_scope",scope="x y"'), {
      realm: "https://a/t",
      error: "insufficient_scope",
      scope: "x y",
    });
  });

  it("is not a Bearer challenge: basic, or Bearer without a realm", () => {
    assert.equal(parseBearerChallenge('Basic realm="Registry Realm"'), undefined);
    assert.equal(parseBearerChallenge('Bearer service="x"'), undefined);
    assert.equal(parseBearerChallenge(""), undefined);
  });

  it("plain HTTP only on this machine", () => {
    for (const s of ["127.0.0.1:5055", "localhost", "localhost:5000", "[::1]:5000", "127.1.2.3"])
      assert.equal(isLoopbackRegistry(s), true, s);
    for (const s of ["ghcr.io", "123.dkr.ecr.eu-west-1.amazonaws.com", "127.0.0.1.nip.io", "10.0.0.1:5000"])
      assert.equal(isLoopbackRegistry(s), false, s);
  });
});
