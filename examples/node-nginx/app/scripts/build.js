// Bundle src/ into build/: index.html with the script inlined, plus a manifest.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const out = path.join(root, "build");
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const html = fs.readFileSync(path.join(root, "src", "index.html"), "utf8");
const script = fs.readFileSync(path.join(root, "src", "app.js"), "utf8");
const publicUrl = process.env.PUBLIC_URL || "/";
fs.writeFileSync(path.join(out, "index.html"), html.replace("<!-- app -->", `<script>${script}</script>`).replace(/%PUBLIC_URL%/g, publicUrl));
fs.writeFileSync(path.join(out, "build.json"), JSON.stringify({ publicUrl, builtWith: process.version }) + "\n");
console.log(`built ${out} (PUBLIC_URL=${publicUrl})`);
