/**
 * The `multistage` package's provider, which serves `MultiStageImage` to every Pulumi language
 * (`pulumi-multistage-image/provider`): `serve` runs it in a plugin process.
 */
export { COMPONENT_TYPE, PACKAGE_NAME, packageProvider, packageSchema, packageVersion } from "./provider";
export { componentArgs } from "./inputs";
export { serve } from "./serve";
