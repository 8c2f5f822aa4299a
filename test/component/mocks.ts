/** Pulumi mocks for the component tests: records every resource and invoke. */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { repositoryOf } from "../../src/plan";

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export const ACCOUNT = "123456789012";
export const REGISTRY = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
export const ECR_PASSWORD = "ecr-password-from-token";

export const resources: Recorded[] = [];
export const invokes: Recorded[] = [];

/** Reset the records and point the mocks at `stack`, with optional config (`secretKeys` are secret config). */
export function useStack(stack: string, config: Record<string, string> = {}, secretKeys: string[] = []): void {
  resources.length = 0;
  invokes.length = 0;
  pulumi.runtime.setAllConfig(config, secretKeys);
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "aws:ecr/repository:Repository") {
          const name = (args.inputs.name as string | undefined) ?? `${args.name}-1a2b3c`;
          state.name = name;
          state.repositoryUrl = `${REGISTRY}/${name}`;
          state.arn = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${name}`;
        }
        if (args.type === "docker:index/image:Image") {
          const imageName = unwrapSecret<string>(args.inputs.imageName).value;
          const repo = repositoryOf(imageName);
          // Same build inputs → same digest, as with a real registry.
          const digest = crypto.createHash("sha256").update(JSON.stringify(args.inputs.build)).digest("hex");
          state.repoDigest = `${repo}@sha256:${digest}`;
        }
        if (args.type === "docker-build:index:Image") {
          // Same build inputs → same digest; the tags do not change the image.
          const { tags, registries, ...build } = args.inputs as Record<string, unknown>;
          void registries;
          const digest = `sha256:${crypto.createHash("sha256").update(JSON.stringify(build)).digest("hex")}`;
          state.digest = args.inputs.push ? digest : "";
          const first = unwrapSecret<string[] | undefined>(tags).value?.[0];
          state.ref = first ? `${repositoryOf(first)}@${digest}` : "";
        }
        // The image resource, dynamic (TypeScript) or the package provider's own (other languages).
        if (
          args.type === "pulumi-nodejs:dynamic/multistage:DockerCliImage" ||
          args.type === "multistage:index:DockerCliImage"
        ) {
          const inputs = unwrapSecret<{ hash: string }>(args.inputs.inputs).value;
          const digest = `sha256:${crypto.createHash("sha256").update(inputs.hash).digest("hex")}`;
          const first = unwrapSecret<string[]>(args.inputs.references).value[0];
          state.digest = digest;
          state.imageUri = `${repositoryOf(first)}@${digest}`;
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        invokes.push({ type: args.token, name: args.token, inputs: args.inputs });
        if (args.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken") {
          const registryId = (args.inputs.registryId as string | undefined) ?? ACCOUNT;
          return {
            userName: "AWS",
            password: ECR_PASSWORD,
            authorizationToken: Buffer.from(`AWS:${ECR_PASSWORD}`).toString("base64"),
            proxyEndpoint: `https://${registryId}.dkr.ecr.us-east-1.amazonaws.com`,
            expiresAt: "2026-11-25T00:00:00Z",
            id: "us-east-1",
            region: "us-east-1",
          };
        }
        if (args.token === "aws:ecr/getRepository:getRepository") {
          return { name: args.inputs.name, repositoryUrl: `${REGISTRY}/${args.inputs.name}`, registryId: ACCOUNT };
        }
        if (args.token === "aws:index/getRegion:getRegion")
          return { name: "us-east-1", region: "us-east-1", id: "us-east-1" };
        return args.inputs;
      },
    },
    "multistage-test",
    stack,
    false,
  );
}

import { value } from "../outputs";

export { value };

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A resource input as the provider receives it: its value, and whether it came as a secret. */
export function unwrapSecret<T>(input: unknown): { secret: boolean; value: T } {
  const envelope = input as Record<string, unknown> | undefined;
  return envelope && typeof envelope === "object" && SECRET_SIG in envelope
    ? { secret: true, value: envelope.value as T }
    : { secret: false, value: input as T };
}

/** The `InputPropertiesError` details `construct` throws (fails when it throws nothing or something else). */
export function inputErrors(construct: () => unknown): Array<{ propertyPath: string; reason: string }> {
  try {
    construct();
  } catch (err) {
    if (pulumi.InputPropertiesError.isInstance(err)) return err.errors;
    throw err;
  }
  throw new Error("expected an InputPropertiesError, but nothing was thrown");
}

export function ofType(type: string): Recorded[] {
  return resources.filter((r) => r.type === type);
}

/** The image resources of `type` that publish, without the test-gate ones (`<name>-test`). */
export function published(type: string): Recorded[] {
  return ofType(type).filter((r) => !r.name.endsWith("-test"));
}

/** Wait until the mocks have seen every registration the program started. */
export async function settle(...outputs: pulumi.Output<unknown>[]): Promise<void> {
  await Promise.all(outputs.map((o) => value(o)));
  await new Promise((r) => setTimeout(r, 50));
}

/** The component's lifecycle policy (the first one recorded) as `[tagStatus, tagPatternList, countNumber]` per rule. */
export function lifecycleRules(): Array<[string, string[] | undefined, number]> {
  const text = ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy")[0].inputs.policy as string;
  const rules = (
    JSON.parse(text) as {
      rules: Array<{ selection: { tagStatus: string; tagPatternList?: string[]; countNumber: number } }>;
    }
  ).rules;
  return rules.map((r) => [r.selection.tagStatus, r.selection.tagPatternList, r.selection.countNumber]);
}
