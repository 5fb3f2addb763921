// A small HTTP function on Node.js: GET / answers a greeting, POST echoes the body back,
// GET /lookup?word=W answers from an index built at start, GET /count counts the calls this
// instance has answered (state a snapshot carries to its clones).
//
// Its start does the work a snapshot saves a Node.js function: loading the modules a real
// handler uses, building an in-memory index (20,000 entries), and warming the handler up so
// that V8 has compiled it before the first request. A line on stdout says how long it took.
"use strict";
const started = process.hrtime.bigint();
const http = require("http");
const crypto = require("crypto");
const zlib = require("zlib");
const url = require("url");
const util = require("util");

const index = new Map();
for (let i = 0; i < 20000; i++) {
  const word = crypto.createHash("sha256").update("word-" + i).digest("hex").slice(0, 12);
  index.set(word, { rank: i, packed: zlib.deflateSync(Buffer.from(word.repeat(4))).length });
}
const firstWord = index.keys().next().value;

let calls = 0;
function handle(method, path, query, body) {
  if (method === "POST") {
    return { status: 200, body };
  }
  if (path === "/lookup") {
    const hit = index.get(String(query.word || ""));
    return hit
      ? { status: 200, body: Buffer.from(util.format("%s %d %d\n", query.word, hit.rank, hit.packed)) }
      : { status: 404, body: Buffer.from("no such word\n") };
  }
  if (path === "/count") {
    calls += 1;
    return { status: 200, body: Buffer.from(calls + "\n") };
  }
  return { status: 200, body: Buffer.from("hello from node\n") };
}

// Warm-up: the handler's paths run until V8 optimises them.
for (let i = 0; i < 2000; i++) {
  handle("GET", "/lookup", { word: firstWord }, null);
  handle("GET", "/", {}, null);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const u = url.parse(req.url, true);
    const out = handle(req.method, u.pathname, u.query, Buffer.concat(chunks));
    res.writeHead(out.status, {
      "Content-Type": "text/plain",
      "Content-Length": out.body.length,
    });
    res.end(out.body);
  });
});
const port = Number(process.env.PORT || 8080);
server.listen(port, process.env.HOST || "0.0.0.0", () => {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`node function listening on :${port} (started in ${ms.toFixed(0)} ms)`);
});
