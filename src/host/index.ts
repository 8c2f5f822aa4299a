/** The publish pipeline's real host, assembled by whoever runs the pipeline (the image resource's provider, the CLI). */
export { type PublishOptions, baseImageResolver, dockerHost, registryClient } from "./docker";
