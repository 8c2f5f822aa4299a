const test = require("node:test");
const assert = require("node:assert");
const { handler } = require("../src/server");

test("answers with a greeting and the version", () => {
  let body = "";
  const res = { setHeader() {}, end: (b) => (body = b) };
  handler("1.2.3")({ url: "/" }, res);
  assert.deepStrictEqual(JSON.parse(body), { message: "Hello, world!", version: "1.2.3" });
});
