/**
 * Fields whose values are kept (the plan, the state, the logs) refuse a credential of any shape,
 * by property and with the field's fix, and the refusal shows the value without it.
 */
import { strict as assert } from "assert";
import { type Diagnostic, formatDiagnostic, validEnvironments, validatePlanArgs } from "../../../src/plan";

const CASES: Array<{ args: object; property: string; fix: RegExp; secret: string }> = [
  {
    args: { cacheTo: ["type=s3,region=eu,bucket=c,endpoint_url=https://KEYID:SECRETKEY1@minio.local:9000"] },
    property: "cacheTo[0]",
    fix: /machine's own login/,
    secret: "SECRETKEY1",
  },
  {
    args: { cacheFrom: ["type=registry,ref=robot:pa55word@reg.example.com/cache"] },
    property: "cacheFrom[0]",
    fix: /login/,
    secret: "pa55word",
  },
  {
    args: { cacheFrom: ["type=gha,url=https://cache.example.com/?token=tok123456"] },
    property: "cacheFrom[0]",
    fix: /login/,
    secret: "tok123456",
  },
  {
    args: { exports: ["type=local,dest=https://u:hunter22@host.example/x"] },
    property: "exports[0]",
    fix: /login/,
    secret: "hunter22",
  },
  {
    args: { contexts: { base: "docker-image://robot:pa55word@reg.example.com/base:1" } },
    property: "contexts.base",
    fix: /login/,
    secret: "pa55word",
  },
  {
    args: { context: "https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/acme/app.git#main" },
    property: "context",
    fix: /credential helper/,
    secret: "ghp_0123456789",
  },
  {
    args: { context: "git://t0kenvalue@git.example.com/app.git" },
    property: "context",
    fix: /credential helper/,
    secret: "t0kenvalue",
  },
  {
    args: { labels: { "ci.token": "glpat-abcdefghijklmnopqrstu" } },
    property: "labels.ci.token",
    fix: /anyone who pulls it/,
    secret: "glpat-abcdefghij",
  },
  {
    args: { buildArgs: { PIP_INDEX_URL: "https://user:pw123456@pypi.example.com/simple" } },
    property: "buildArgs.PIP_INDEX_URL",
    fix: /pass it as a secret/,
    secret: "pw123456",
  },
  {
    args: { builder: { endpoint: "tcp://u:p4ssw0rd@buildkit.example.com:1234" } },
    property: "builder.endpoint",
    fix: /login/,
    secret: "p4ssw0rd",
  },
];

describe("Fields that keep their values refuse credentials (credentialFree)", () => {
  for (const { args, property, fix, secret } of CASES)
    it(`${property}: refused by property, with the fix, without the secret`, () => {
      const diagnostics: Diagnostic[] = [];
      validatePlanArgs(args, diagnostics);
      const found = diagnostics.find((d) => d.property === property);
      assert.ok(found, JSON.stringify(diagnostics));
      assert.match(found.message, /^holds .*, which would be kept in the plan, the state and the logs/);
      assert.match(found.hint ?? "", fix);
      assert.ok(!formatDiagnostic(found).includes(secret), formatDiagnostic(found));
    });

  it("environments: a release gate command, a label and a cache entry with a token", () => {
    const diagnostics: Diagnostic[] = [];
    validEnvironments(
      {
        production: {
          releaseGate: { command: "scan --token ghp_0123456789abcdefghijABCDEFGHIJ012345 $MULTISTAGE_IMAGE" },
          labels: { src: "https://u:pw123456@git.example.com/x" },
          cacheTo: ["type=registry,ref=u:pw123456@reg.example.com/c"],
        },
      },
      "environments",
      diagnostics,
    );
    assert.deepEqual(diagnostics.map((d) => d.property).sort(), [
      "environments.production.cacheTo[0]",
      "environments.production.labels.src",
      "environments.production.releaseGate.command",
    ]);
    assert.match(diagnostics.find((d) => d.property?.endsWith("command"))?.hint ?? "", /\$SCANNER_TOKEN/);
  });

  it("values without a credential pass: an SSH Git URL, a registry cache ref, a source label, a gate reading a variable", () => {
    const diagnostics: Diagnostic[] = [];
    validatePlanArgs(
      {
        context: "ssh://git@github.com/acme/app.git#main",
        cacheFrom: ["type=registry,ref=reg.example.com/cache:main"],
        labels: { "org.opencontainers.image.source": "https://github.com/acme/app" },
        contexts: { base: "docker-image://node:20-slim" },
      },
      diagnostics,
    );
    validEnvironments(
      { production: { releaseGate: { command: "scan --token $SCANNER_TOKEN $MULTISTAGE_IMAGE" } } },
      "environments",
      diagnostics,
    );
    assert.deepEqual(diagnostics, []);
  });
});
