/**
 * Pulumi program: the node-nginx image (seed 000) for this stack's environment, pushed to
 * any OCI registry (config `repository`, `username`, secret `password`). The repo's e2e
 * tests run it with `pulumi preview/up/destroy` against the local registry.
 *   pulumi config set repository 127.0.0.1:5055/multistage-e2e/web
 *   pulumi config set username multistage && pulumi config set --secret password …
 *   pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage } from "pulumi-multistage-image";
import { settings } from "../node-nginx/settings";

const config = new pulumi.Config();
// Base images: the offline stand-ins from scripts/base-images.sh unless config names others.
const baseImages = config.getObject<Record<string, string>>("baseImages") ?? settings.localBaseImages;
const buildToken = config.getSecret("buildToken");

const web = new MultiStageImage("web", {
  ...settings.args,
  context: config.get("context") ?? settings.args.context,
  backend: config.get("backend") === "docker-build" ? "docker-build" : "docker-cli",
  registry: {
    repository: config.require("repository"),
    username: config.require("username"),
    password: config.requireSecret("password"),
  },
  buildArgs: baseImages,
  // Beside the default OCI labels (source, revision, version, target): read by registries and scanners.
  labels: { "org.opencontainers.image.description": "The node-nginx seed app" },
  // The private registry token as a build secret: in no layer, state, output or log.
  secrets: buildToken ? { NPM_TOKEN: buildToken } : undefined,
});

export const imageUri = web.imageUri;
export const digest = web.digest;
export const target = web.target;
export const tags = web.tags;
export const builtStages = web.stages.apply((stages) =>
  stages.filter((s) => s.built).map((s) => s.name ?? `#${s.index}`),
);
