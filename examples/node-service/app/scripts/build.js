// "Compile" src/ into dist/ and stamp the version from APP_VERSION.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist);
for (const f of fs.readdirSync(path.join(root, "src"))) fs.copyFileSync(path.join(root, "src", f), path.join(dist, f));
const version = process.env.APP_VERSION || "0.0.0-dev";
fs.writeFileSync(path.join(dist, "version.json"), JSON.stringify({ version }) + "\n");
console.log(`built dist/ version ${version}`);
