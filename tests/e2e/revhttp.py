#!/usr/bin/env python3
"""A tiny HTTP server for the revocation tests (not a test itself).

usage: revhttp.py DIR PORTFILE
Serves the files of DIR on 127.0.0.1 at an ephemeral port, written to PORTFILE once listening:
  GET or POST /NAME       the file NAME (404 when missing); a POST body is read and ignored,
                          so a fixed OCSP answer can be replayed
  GET or POST /slow/NAME  the same after $REVHTTP_DELAY seconds (default 3)
  GET or POST /redirect/NAME  302 to file:///NAME (a client must not follow it)
  A GET carries an ETag (a hash of the file) and answers 304 to a matching If-None-Match.
  With $REVHTTP_LOG set, every request is logged there as "METHOD /path STATUS".
  POST /tsa               runs `openssl ts -reply -config $REVHTTP_TSA_CNF` on the request body
Runs until killed.
"""
import hashlib
import http.server
import os
import subprocess
import sys
import tempfile
import time

ROOT = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def log_request(self, code="-", size="-"):
        log = os.environ.get("REVHTTP_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write(f"{self.command} {self.path} {code}\n")

    def _send(self, data, ctype="application/octet-stream", etag=None):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (size limit, timeout): expected in some tests

    def _serve(self):
        body = self._body()
        path = self.path.lstrip("/")
        if path == "tsa":
            self._tsa(body)
            return
        if path.startswith("redirect/"):
            self.send_response(302)
            self.send_header("Location", "file:///" + path[9:])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path.startswith("slow/"):
            time.sleep(float(os.environ.get("REVHTTP_DELAY", "3")))
            path = path[5:]
        f = os.path.join(ROOT, os.path.basename(path))
        if not os.path.isfile(f):
            self.send_error(404)
            return
        with open(f, "rb") as fh:
            data = fh.read()
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        if self.command == "GET" and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self._send(data, etag=etag if self.command == "GET" else None)

    def _tsa(self, body):
        cnf = os.environ.get("REVHTTP_TSA_CNF")
        if not cnf:
            self.send_error(404)
            return
        with tempfile.TemporaryDirectory() as d:
            q = os.path.join(d, "q.tsq")
            r = os.path.join(d, "r.tsr")
            with open(q, "wb") as fh:
                fh.write(body)
            res = subprocess.run(["openssl", "ts", "-reply", "-config", cnf, "-queryfile", q,
                                  "-out", r], capture_output=True, timeout=20)
            if res.returncode != 0:
                self.send_error(500)
                return
            with open(r, "rb") as fh:
                self._send(fh.read(), "application/timestamp-reply")

    do_GET = _serve
    do_POST = _serve

    def log_message(self, *args):
        pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(str(srv.server_address[1]))
    os.replace(tmp, sys.argv[2])
    srv.serve_forever()


main()
