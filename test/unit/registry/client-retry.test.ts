import { strict as assert } from "assert";
import { retryAfterMs } from "../../../src/registry";

describe("Retry-After", () => {
  it("reads seconds and HTTP dates; anything else is no answer", () => {
    assert.equal(retryAfterMs("2"), 2000);
    assert.equal(retryAfterMs(" 0 "), 0);
    const now = Date.parse("Thu, 26 Nov 2026 12:00:00 GMT");
    assert.equal(retryAfterMs("Thu, 26 Nov 2026 12:00:03 GMT", now), 3000);
    assert.equal(retryAfterMs("Thu, 26 Nov 2026 11:00:00 GMT", now), 0);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs("soon"), undefined);
    assert.equal(retryAfterMs("-1"), undefined);
  });
});
