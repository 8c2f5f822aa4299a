const greet = require("greeting");

function handler(version) {
  return (req, res) => {
    if (req.url === "/healthz") return res.end("ok\n");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ message: greet(process.env.GREET_NAME || "world"), version }) + "\n");
  };
}

module.exports = { handler };
