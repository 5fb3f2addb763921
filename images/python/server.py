"""A tiny HTTP function: GET answers a greeting, POST echoes the body back.

GET /files/NAME?write=TEXT keeps TEXT in /srv/files/NAME, on the function's disk; GET /files/NAME
answers it (404 when there is none): state a snapshot carries to its clones.
"""
import http.server
import os
import urllib.parse

FILES = "/srv/files"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/files/"):
            self.file(os.path.basename(url.path), urllib.parse.parse_qs(url.query))
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


port = int(os.environ.get("PORT", "8080"))
host = os.environ.get("HOST", "0.0.0.0")
http.server.ThreadingHTTPServer((host, port), Handler).serve_forever()
