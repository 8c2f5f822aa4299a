/**
 * The `multistage` package's provider: what `pulumi-resource-multistage` serves so that programs
 * in every Pulumi language (YAML, Python, Go, C#) get `multistage:index:MultiStageImage`.
 * - `construct` builds the same `MultiStageImage` a TypeScript program does, in this process;
 * - its image resources are `multistage:index:DockerCliImage`, served here by the same
 *   operations as the TypeScript path's dynamic resource (`docker-cli-provider.ts`): one
 *   publish pipeline, not a copy.
 * The schema is `schema.json` at the package root, generated from `MultiStageImageArgs`.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import {
  type DockerCliImageInputs,
  type DockerCliImageOutputs,
  type ImageResourceHost,
  PACKAGE_IMAGE_TYPE,
  dockerCliImageProvider as images,
} from "../backends";
import { MultiStageImage, componentOutputs } from "../component";
import { type PinnedImage, toEcsContainerDefinition, toKubernetesContainer } from "../consumers";
import { componentArgs } from "./inputs";

/** The package's name: the first part of every type token, and `pulumi-resource-<name>`. */
export const PACKAGE_NAME = "multistage";
/** The component's type token. */
export const COMPONENT_TYPE = `${PACKAGE_NAME}:index:MultiStageImage`;

/**
 * The consumer helpers other languages call as functions (`multistage:index:<name>`): the pinned
 * image's URI and the helper's options in, what it returns out. The schema takes each one's
 * inputs and outputs from its signature.
 */
export const FUNCTIONS = { toKubernetesContainer, toEcsContainerDefinition } as const;

type Helper = (image: PinnedImage, options: never) => pulumi.Output<unknown>;

/** The package root (this file is `lib/provider/provider.js`, or `src/provider/provider.ts` in the repo). */
const PACKAGE_ROOT = path.join(__dirname, "..", "..");

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/** The package's schema, as shipped (`schema.json`), with the package's version. */
export function packageSchema(): string {
  const schema = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "schema.json"), "utf8")) as Record<string, unknown>;
  return JSON.stringify({ ...schema, version: packageVersion() });
}

/**
 * The provider `pulumi-resource-multistage` serves. The components it constructs make their
 * image resources the package's own type (`ServedMultiStageImage`), which it serves too.
 */
export function packageProvider(): provider.Provider {
  const imageOnly = (urn: string): void => {
    // urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>
    const type = urn.split("::")[2]?.split("$").pop();
    if (type !== PACKAGE_IMAGE_TYPE)
      throw new Error(
        `the multistage provider has no resource ${type}; it serves ${PACKAGE_IMAGE_TYPE} and the component ${COMPONENT_TYPE}`,
      );
  };
  return {
    version: packageVersion(),
    getSchema: async () => packageSchema(),
    async construct(name, type, inputs, options) {
      if (type !== COMPONENT_TYPE)
        throw new Error(`the multistage package has no component ${type}; it has ${COMPONENT_TYPE}`);
      const component = new ServedMultiStageImage(name, await componentArgs(name, inputs), options);
      return { urn: component.urn, state: componentOutputs(component) };
    },
    async invoke(token, inputs) {
      // A type token, `multistage:index:<function>`.
      const name = new RegExp(`^${PACKAGE_NAME}:index:(\\w+)$`).exec(token)?.[1] ?? "";
      const helper: Helper | undefined = Object.hasOwn(FUNCTIONS, name)
        ? (FUNCTIONS[name as keyof typeof FUNCTIONS] as Helper)
        : undefined;
      if (!helper)
        throw new Error(
          `the multistage package has no function ${token}; it has ${Object.keys(FUNCTIONS)
            .map((f) => `${PACKAGE_NAME}:index:${f}`)
            .join(", ")}`,
        );
      const { imageUri, ...options } = plain(inputs) as { imageUri: unknown };
      const outputs = (await settled(helper({ imageUri } as PinnedImage, options as never))) as Record<string, unknown>;
      // A value the program sent as a secret (an env value, the image URI) stays one in what
      // the function returns: each field that holds one comes back in a secret envelope.
      return { outputs: markSecretFields(outputs, secretStrings(inputs)) };
    },
    async diff(_id, urn, olds, news) {
      imageOnly(urn);
      return images.diff(plain(olds) as DockerCliImageOutputs, plain(news) as DockerCliImageInputs);
    },
    async create(urn, inputs) {
      imageOnly(urn);
      return images.create(plain(inputs) as DockerCliImageInputs);
    },
    async update(_id, urn, olds, news) {
      imageOnly(urn);
      return images.update(plain(olds) as DockerCliImageOutputs, plain(news) as DockerCliImageInputs);
    },
    async read(id, urn, props) {
      imageOnly(urn);
      return images.read(id, plain(props) as DockerCliImageOutputs);
    },
    // Ctrl-C during `pulumi up`: the engine's Cancel stops each publish before its next step.
    cancel: () => images.cancel(),
    // Pushed images stay in the registry (its lifecycle rules expire them), as in TypeScript.
    async delete(_id, urn) {
      imageOnly(urn);
    },
  };
}

/** `MultiStageImage` as this provider constructs it: its image resources are the package's own, served here. */
class ServedMultiStageImage extends MultiStageImage {
  protected override imageResourceHost(): ImageResourceHost {
    return "package";
  }
}

/** An Output's value, or its failure (a helper's refusal) as a rejection. */
function settled<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    pulumi
      .recover(output, (err: unknown) => {
        reject(err instanceof Error ? err : new Error(String(err)));
        return new Promise<T>(() => undefined);
      })
      .apply((v) => resolve(v));
  });
}

/** The strings the engine sent inside secret envelopes, anywhere in `value`. */
function secretStrings(value: unknown, inSecret = false): string[] {
  if (typeof value === "string") return inSecret && value !== "" ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => secretStrings(v, inSecret));
  if (!value || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig)
    return secretStrings(record.value, true);
  return Object.values(record).flatMap((v) => secretStrings(v, inSecret));
}

/** Each top-level field of `outputs` that holds one of `secrets`, in a secret envelope. */
export function markSecretFields(
  outputs: Record<string, unknown>,
  secrets: readonly string[],
): Record<string, unknown> {
  if (secrets.length === 0) return outputs;
  return Object.fromEntries(
    Object.entries(outputs).map(([key, v]) => {
      const text = JSON.stringify(v) ?? "";
      const holds = secrets.some((secret) => text.includes(JSON.stringify(secret).slice(1, -1)));
      return [key, holds ? { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: v } : v];
    }),
  );
}

/** Property values as the engine sends them (secrets and output values wrapped in signatures), plain. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (!value || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const sig = record[pulumi.runtime.specialSigKey];
  if (sig === pulumi.runtime.specialSecretSig || sig === pulumi.runtime.specialOutputValueSig)
    return plain(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
}
