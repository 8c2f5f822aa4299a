/**
 * The go-service image (seed 003's Go app): dev builds `builder` (the toolchain and the
 * sources), production the `FROM scratch` stage with the static binary, after `test` passes.
 * With a builder, production can build `linux/amd64` and `linux/arm64` into one index.
 */
import * as path from "path";
import type { ExampleSettings } from "../types";

export const settings: ExampleSettings = {
  args: {
    context: path.join(__dirname, "app"),
    buildArgs: { APP_VERSION: "1.0.0" },
  },
  // Offline stand-in for golang:1.26: busybox with this machine's Go toolchain.
  localBaseImages: { GO_IMAGE: "multistage-local/golang:1.26" },
};
