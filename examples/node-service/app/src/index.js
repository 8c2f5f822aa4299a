const http = require("http");
const { handler } = require("./server");
const { version } = require("./version.json");

const port = Number(process.env.PORT || 3000);
http.createServer(handler(version)).listen(port, () => console.log(`listening on :${port} (version ${version})`));
