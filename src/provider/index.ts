/** The `multistage` package's provider, which serves `MultiStageImage` to every Pulumi language. */
export { COMPONENT_TYPE, PACKAGE_NAME, packageProvider, packageSchema, packageVersion } from "./provider";
export { componentArgs } from "./inputs";
