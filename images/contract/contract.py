"""The contract function: GET / reports, as JSON, what the function was started with.

It reports its environment, uid/gid and groups, working directory, argv (and the whole command
line), hostname, open file limits, whether stdout and stderr are open and writable, and a token made
from os.urandom when it started: user-space state that every clone of a snapshot shares until its
afterRestore hook makes a new one.

Hooks (see docs/function-contract.md): GET /before-snapshot counts its calls (the image's label
names it); GET /after-restore makes a new token and counts its calls; GET /fail answers 500 (a hook
that fails).
"""
import fcntl
import http.server
import json
import os
import resource
import socket
import sys

state = {"token": os.urandom(16).hex(), "beforeSnapshot": 0, "afterRestore": 0}


def stream(fd):
    """Whether FD is open and writable (a line written to it), and what it is."""
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError as e:
        return {"open": False, "error": str(e)}
    try:
        target = os.readlink("/proc/self/fd/%d" % fd)
    except OSError:
        target = None
    try:
        os.write(fd, b"contract: a line on fd %d\n" % fd)
        written = True
    except OSError:
        written = False
    writable = (flags & os.O_ACCMODE) in (os.O_WRONLY, os.O_RDWR)
    return {"open": True, "writable": writable and written, "target": target}


def cmdline():
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return [a.decode() for a in f.read().split(b"\0")[:-1]]
    except OSError:
        return None


def report():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return {
        "env": dict(os.environ),
        "uid": os.getuid(),
        "gid": os.getgid(),
        "euid": os.geteuid(),
        "egid": os.getegid(),
        "groups": sorted(os.getgroups()),
        "cwd": os.getcwd(),
        "argv": sys.argv,
        "cmdline": cmdline(),
        "hostname": socket.gethostname(),
        "nofile": {"soft": soft, "hard": hard},
        "stdout": stream(1),
        "stderr": stream(2),
        "token": state["token"],
        "beforeSnapshot": state["beforeSnapshot"],
        "afterRestore": state["afterRestore"],
    }


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/before-snapshot":
            state["beforeSnapshot"] += 1
            self.answer({"beforeSnapshot": state["beforeSnapshot"]})
        elif path == "/after-restore":
            state["token"] = os.urandom(16).hex()
            state["afterRestore"] += 1
            self.answer({"afterRestore": state["afterRestore"], "token": state["token"]})
        elif path == "/fail":
            self.answer({"failed": True}, 500)
        else:
            self.answer(report())

    def answer(self, value, status=200):
        body = json.dumps(value, sort_keys=True).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


print("contract: started as %s" % sys.argv, flush=True)
port = int(os.environ.get("PORT", "8080"))
http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
