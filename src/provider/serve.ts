/** Serve the package's provider over the provider protocol, as a plugin process does. */
import { main } from "@pulumi/pulumi/provider";
import { packageProvider } from "./provider";

/**
 * Serve `multistage` in this process: the provider protocol on the port printed to stdout (the
 * engine reads it). `args` are the plugin's command-line arguments (the engine's address).
 */
export function serve(args: readonly string[]): Promise<void> {
  return main(packageProvider(), [...args]);
}
