/**
 * The node-service image, as one place: the Pulumi program (index.ts) and the
 * local runner (scripts/build-example.ts) both build from these settings.
 */
import * as path from "path";
import type { ExampleSettings } from "../types";

export const settings: ExampleSettings = {
  args: {
    context: path.join(__dirname, "app"),
    // dev builds `builder` (sources, devDependencies, npm); production the final stage.
    environments: {
      dev: { target: "builder", buildArgs: { NODE_ENV: "development" } },
      staging: { buildArgs: { NODE_ENV: "production" } },
      production: { buildArgs: { NODE_ENV: "production" } },
    },
    buildArgs: { APP_VERSION: "1.0.0" },
  },
  // Offline stand-ins for node:20.18 and node:20.18-alpine (see scripts/base-images.sh).
  localBaseImages: { NODE_IMAGE: "multistage-local/node:20", NODE_RUNTIME_IMAGE: "multistage-local/node:20-slim" },
};
