/** The static-binary image: dev builds `builder`, production the scratch `release` stage. */
import * as path from "path";
import type { ExampleSettings } from "../types";

export const settings: ExampleSettings = {
  args: {
    context: path.join(__dirname, "app"),
    buildArgs: { APP_VERSION: "2.0.0" },
  },
  // Offline stand-in for busybox:1.36-musl (also tagged under that name, for COPY --from).
  localBaseImages: { BUILDER_IMAGE: "multistage-local/busybox:1" },
};
