// The multistage provider plugin, started by the Node.js language host (PulumiPlugin.yaml).
require("pulumi-multistage-image/provider").serve(process.argv.slice(2));
