/**
 * `pulumi-resource-multistage`: the package's provider as the Pulumi engine starts it (from a
 * program's `plugins.providers` path, PATH, or `pulumi package add`), serving the provider
 * protocol on the port it prints.
 */
import { main } from "@pulumi/pulumi/provider";
import { serveImagesFromPackageProvider } from "../backends/docker-cli-resource";
import { packageProvider } from "./provider";

serveImagesFromPackageProvider();
void main(packageProvider(), process.argv.slice(2));
