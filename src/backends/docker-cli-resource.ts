/**
 * The `docker-cli` back end's dynamic resource (`multistage:DockerCliImage`) and the provider
 * Pulumi serialises for it. The provider captures nothing but `require`: what runs in the
 * provider's process is `docker-cli-provider.ts`, loaded there by the path in the inputs.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { ImageSize } from "../executor";
import type { DockerCliImageInputs, DockerCliImageOutputs } from "./docker-cli-provider";
import type * as providerModuleType from "./docker-cli-provider";

/**
 * The serialised provider: it captures nothing but `require`, and delegates to the compiled
 * `docker-cli-provider` module named in the inputs (diff and create/update get them; delete
 * keeps the pushed image and needs nothing).
 */
const provider: pulumi.dynamic.ResourceProvider<DockerCliImageInputs, DockerCliImageOutputs> = {
  async diff(_id, olds, news) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(news.providerModule) as typeof providerModuleType).provider.diff(olds, news);
  },
  async create(inputs) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(inputs.providerModule) as typeof providerModuleType).provider.create(inputs);
  },
  async update(_id, olds, news) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(news.providerModule) as typeof providerModuleType).provider.update(olds, news);
  },
  async delete() {
    // Pushed images stay in the registry (its lifecycle rules expire them).
  },
};

/**
 * @internal
 * The compiled provider module the dynamic provider loads: the one beside this module. Under
 * ts-node (this repo's own tests) that is `lib/`, built by `npm run build`.
 */
export function providerModule(): string {
  return path.extname(__filename) === ".ts"
    ? path.join(__dirname, "..", "..", "lib", "backends", "docker-cli-provider.js")
    : path.join(__dirname, "docker-cli-provider.js");
}

/** The dynamic resource (`multistage:DockerCliImage`). */
export class DockerCliImage extends pulumi.dynamic.Resource {
  declare readonly digest: pulumi.Output<string>;
  declare readonly imageUri: pulumi.Output<string>;
  declare readonly rebuildReason: pulumi.Output<string>;
  declare readonly size: pulumi.Output<ImageSize | undefined>;

  constructor(name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    const outputs = {
      digest: undefined,
      imageUri: undefined,
      rebuildReason: undefined,
      reused: undefined,
      size: undefined,
    };
    super(provider, name, { ...inputs, ...outputs }, opts, "multistage", "DockerCliImage");
  }
}
