/**
 * The jvm-service image (seed 004's JVM app): dev builds `BUILD_IMAGE` (the JDK, Maven, the
 * sources and the jar), production the JRE stage with the jar alone, after `test` passes.
 */
import * as path from "path";
import type { ExampleSettings } from "../types";

export const settings: ExampleSettings = {
  args: {
    context: path.join(__dirname, "app"),
    buildArgs: { APP_VERSION: "1.0.0" },
    // The seed's build stage is `BUILD_IMAGE`, not one of the names dev picks by itself
    // (dev, development, develop, builder, build), so dev names it.
    environments: { dev: { target: "BUILD_IMAGE" } },
  },
  // Offline stand-ins: this machine's OpenJDK 17 and Maven with a pre-fetched local
  // repository, and a jlink-made Java runtime on busybox.
  localBaseImages: { MAVEN_IMAGE: "multistage-local/maven:3-jdk17", JRE_IMAGE: "multistage-local/jre:17-slim" },
};
