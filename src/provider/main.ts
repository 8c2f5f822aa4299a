/**
 * `pulumi-resource-multistage`: the package's provider as the Pulumi engine starts it (from a
 * program's `packages:` or `plugins.providers` path, or PATH), serving the provider protocol on
 * the port it prints.
 */
import { serve } from "./serve";

void serve(process.argv.slice(2));
