/**
 * The `docker-cli` back end's image resource, served one of two ways by the same provider
 * operations (`docker-cli-provider.ts`):
 * - in a TypeScript program, a dynamic resource (`pulumi-nodejs:dynamic/multistage:DockerCliImage`)
 *   that Pulumi's dynamic-provider host runs from the provider source below: nothing to install;
 * - in the package's own provider (`pulumi-resource-multistage`, which serves the component to
 *   every other language), `multistage:index:DockerCliImage`, a resource of the `multistage`
 *   package: dynamic providers cannot be loaded when the component runs in a provider
 *   (pulumi/pulumi#5455).
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { ImageSize } from "../registry";

/**
 * The provider as Pulumi's dynamic-provider host loads it: the source of a module whose
 * `handler()` returns the provider (what `pulumi.dynamic.Resource` would make by serialising a
 * closure). Written out instead: it captures nothing, and serialising a closure loads the
 * TypeScript compiler and turns on the V8 inspector in the program, ~0.4 s before the first
 * resource. Each method loads the compiled `docker-cli-provider` module at `modulePath`;
 * delete keeps the pushed image and needs nothing.
 * @internal
 */
export function providerSource(modulePath: string): string {
  return `exports.handler = function () {
  const load = () => require(${JSON.stringify(modulePath)}).provider;
  return {
    diff: async (id, olds, news) => load().diff(olds, news),
    create: async (inputs) => load().create(inputs),
    update: async (id, olds, news) => load().update(olds, news),
    read: async (id, props) => load().read(id, props),
    // Pushed images stay in the registry (its lifecycle rules expire them).
    delete: async () => {},
  };
};
`;
}

/** The key and type token of Pulumi's dynamic resources (the host finds the provider under `__provider`). */
const DYNAMIC_PROVIDER_KEY = "__provider";
const DYNAMIC_TYPE = "pulumi-nodejs:dynamic/multistage:DockerCliImage";

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

/** The image resource's type token when the package's provider serves it. */
export const PACKAGE_IMAGE_TYPE = "multistage:index:DockerCliImage";

/**
 * Who serves the image resource: a TypeScript program's dynamic provider (nothing to install),
 * or the package's own provider (`pulumi-resource-multistage`, for other languages). Whoever
 * constructs the component says which; nothing process-wide decides it.
 */
export type ImageResourceHost = "dynamic" | "package";

/** The image resource: dynamic in a TypeScript program, the package's own in its provider. */
export class DockerCliImage extends pulumi.CustomResource {
  declare readonly digest: pulumi.Output<string>;
  declare readonly imageUri: pulumi.Output<string>;
  declare readonly rebuildReason: pulumi.Output<string>;
  declare readonly size: pulumi.Output<ImageSize | undefined>;
  /** What `pulumi refresh` found changed in the registry (the next update repairs it). */
  declare readonly drift: pulumi.Output<string | undefined>;

  constructor(name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions, host: ImageResourceHost) {
    const outputs = {
      digest: undefined,
      imageUri: undefined,
      rebuildReason: undefined,
      size: undefined,
      drift: undefined,
    };
    if (host === "package") super(PACKAGE_IMAGE_TYPE, name, { ...inputs, ...outputs }, opts);
    else
      super(
        DYNAMIC_TYPE,
        name,
        { ...inputs, ...outputs, [DYNAMIC_PROVIDER_KEY]: providerSource(providerModule()) },
        opts,
      );
  }
}
