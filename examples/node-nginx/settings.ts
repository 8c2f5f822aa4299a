/** The node-nginx image (seed 000): dev builds the `build` stage, production the nginx stage. */
import * as path from "path";
import type { ExampleSettings } from "../types";

export const settings: ExampleSettings = {
  args: {
    context: path.join(__dirname, "app"),
    environments: {
      dev: { buildArgs: { PUBLIC_URL: "/" } },
      production: { buildArgs: { PUBLIC_URL: "/app/" } },
    },
  },
  // Offline stand-ins for node:20.18-alpine and nginx:1.27-alpine.
  localBaseImages: { NODE_IMAGE: "multistage-local/node:20", WEB_IMAGE: "multistage-local/httpd:1" },
};
