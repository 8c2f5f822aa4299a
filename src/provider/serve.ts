/** Serve the package's provider over the provider protocol, as a plugin process does. */
import { main } from "@pulumi/pulumi/provider";
import { serveImagesFromPackageProvider } from "../backends";
import { packageProvider } from "./provider";

/**
 * Serve `multistage` in this process: its image resources become the package's own type, then
 * the provider protocol is served on the port printed to stdout (the engine reads it). `args`
 * are the plugin's command-line arguments (the engine's address).
 */
export function serve(args: readonly string[]): Promise<void> {
  serveImagesFromPackageProvider();
  return main(packageProvider(), [...args]);
}
