// `npm run bench` (model part): 50 MultiStageImage components in one program under Pulumi
// mocks, from the compiled lib/ (as a user's unit tests load the package). Plain JavaScript,
// run in a process of its own so the package's load time counts once. Prints one JSON line.
const path = require("path");
const pulumi = require("@pulumi/pulumi");

pulumi.runtime.setMocks(
  {
    newResource: (a) => ({ id: `${a.name}-id`, state: { ...a.inputs } }),
    call: () => ({}),
  },
  "bench",
  "dev",
  false,
);
const started = process.hrtime.bigint();
const { MultiStageImage } = require(path.join(__dirname, "..", "..", "lib"));
const loaded = process.hrtime.bigint();
const context = path.join(__dirname, "..", "..", "examples", "node-service", "app");
const images = Array.from(
  { length: 50 },
  (_, i) =>
    new MultiStageImage(`svc${i}`, {
      context,
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      registry: { repository: `127.0.0.1:5055/bench/svc${i}` },
    }),
);
Promise.all(images.map((m) => new Promise((resolve) => m.imageUri.apply(resolve)))).then(() => {
  const done = process.hrtime.bigint();
  console.log(JSON.stringify({ loadMs: Number(loaded - started) / 1e6, componentsMs: Number(done - loaded) / 1e6 }));
});
