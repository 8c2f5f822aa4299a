// Development server: serves build/ on :3000.
const http = require("http");
const fs = require("fs");
const path = require("path");
const dir = path.join(__dirname, "..", "build");
http
  .createServer((req, res) => {
    const file = path.join(dir, req.url === "/" ? "index.html" : path.normalize(req.url));
    if (!file.startsWith(dir) || !fs.existsSync(file)) return res.writeHead(404).end("not found\n");
    res.end(fs.readFileSync(file));
  })
  .listen(3000, () => console.log("dev server on :3000"));
