/**
 * `pulumi-resource-multistage`: the package's provider as the Pulumi engine starts it (from a
 * program's `plugins.providers` path, PATH, or `pulumi package add`), serving the provider
 * protocol on the port it prints.
 */
import { main } from "@pulumi/pulumi/provider";
import { packageProvider } from "./provider";

void main(packageProvider(), process.argv.slice(2));
