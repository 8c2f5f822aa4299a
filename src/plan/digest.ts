/** The one content hash of the plan's layer: a leaf module, so every file of the plan can use it. */
import * as crypto from "crypto";

/** `sha256:…` of a string. */
export function sha256(text: string): string {
  return `sha256:${crypto.createHash("sha256").update(text).digest("hex")}`;
}
