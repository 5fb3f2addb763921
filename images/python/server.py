"""A tiny HTTP function: GET answers a greeting, POST echoes the body back.

GET /files/NAME?write=TEXT keeps TEXT in /srv/files/NAME, on the function's disk; GET /files/NAME
answers it (404 when there is none): state a snapshot carries to its clones.

Output, for the function's logs: a line on stdout when it starts; GET /log?text=T writes T to
stdout (&stream=stderr: to stderr), after &ms=N milliseconds; GET /flood?mb=N writes N MB of
numbered lines to stdout from a background thread, as fast as they are taken, and answers after
&ms=N milliseconds, or with &wait=1 once all are written (an instance is kept while it answers).
"""
import http.server
import os
import sys
import threading
import time
import urllib.parse

FILES = "/srv/files"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path.startswith("/files/"):
            self.file(os.path.basename(url.path), query)
        elif url.path == "/log":
            time.sleep(int(query.get("ms", ["0"])[0]) / 1000)
            out = sys.stderr if query.get("stream") == ["stderr"] else sys.stdout
            print(query.get("text", [""])[0], file=out, flush=True)
            self.answer(b"logged\n")
        elif url.path == "/flood":
            mb = int(query.get("mb", ["1"])[0])
            writer = threading.Thread(target=flood, args=(mb,), daemon=True)
            writer.start()
            if query.get("wait") == ["1"]:
                writer.join()
            time.sleep(int(query.get("ms", ["0"])[0]) / 1000)
            self.answer(b"flooding\n")
        else:
            self.answer(b"hello from python\n")

    def file(self, name, query):
        path = os.path.join(FILES, name)
        if "write" in query:
            os.makedirs(FILES, exist_ok=True)
            with open(path, "w") as f:
                f.write(query["write"][0])
                f.flush()
                os.fsync(f.fileno())
        try:
            with open(path, "rb") as f:
                self.answer(f.read())
        except FileNotFoundError:
            self.answer(b"no such file\n", 404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.answer(self.rfile.read(length))

    def answer(self, body, status=200):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def flood(mb):
    """Writes mb MB of 100-byte lines to stdout, 64 KiB at a time."""
    line = 0
    written = 0
    while written < mb * 1000 * 1000:
        block = "".join("flood %010d %s\n" % (line + i, "x" * 82) for i in range(655))
        line += 655
        sys.stdout.buffer.write(block.encode())
        sys.stdout.buffer.flush()
        written += len(block)


port = int(os.environ.get("PORT", "8080"))
host = os.environ.get("HOST", "0.0.0.0")
print("python function listening on :%d" % port, flush=True)
http.server.ThreadingHTTPServer((host, port), Handler).serve_forever()
