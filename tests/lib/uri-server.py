#!/usr/bin/env python3
"""An HTTP server for the uri tests: JSON, forms, status codes, redirects,
a slow endpoint, basic auth, cookies, large bodies, on loopback TCP and,
optionally, on a unix socket; optionally HTTPS that asks for a client
certificate.

    uri-server.py [--unix PATH] [--tls CERT KEY CA]

Prints "Serving HTTP on 127.0.0.1 port N (...)" (http.server's line) and
logs "METHOD PATH" per request on stdout. Date and Server headers are
fixed, so that two runs of one playbook get equal answers.

Endpoints (any method unless said):
  /json              {"a": 1, ...} as application/json
  /vnd               a JSON body as application/vnd.api+json; charset=utf-8
  /text              text/plain
  /lines             text with \r\n, \r and \n line ends and hostile text
  /echo              JSON: the request's method, path, query, body,
                     content type, user agent, Accept and X-Echo-*
                     headers
  /status/N          status N, a text body (a JSON one for /status/N/json)
  /redirect/N?to=U   status N with Location U (default /json)
  /chain/N           N redirects (302), then /json
  /slow/S            answers after S seconds
  /basic             needs Basic user "deploy", password "s3cr3t-PW"
  /cookie            sets two cookies, answers JSON
  /dup               two X-Dup headers
  /token             an X-Auth-Token header in the answer
  /big?n=BYTES       BYTES of 'x', streamed in pieces
  /file.txt          a fixed file with Last-Modified (304 when not newer)
  /tls-who           (HTTPS) the client certificate's subject CN
"""
import base64
import email.utils
import json
import os
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FILE_TIME = 1700000000
FILE_BODY = b"uri file {{ x }} 100%\n"


class Handler(BaseHTTPRequestHandler):
    server_version = "uri-test"
    sys_version = ""

    def version_string(self):
        return "uri-test/1"

    def date_time_string(self, timestamp=None):
        return "Tue, 14 Nov 2023 22:13:20 GMT"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body=b"", ctype="text/plain", headers=()):
        self.send_response(code)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def json(self, code, obj, ctype="application/json", headers=()):
        self.answer(code, json.dumps(obj, sort_keys=True).encode(), ctype,
                    headers)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        parts = [p for p in u.path.split("/") if p]
        print("%s %s" % (self.command, self.path), flush=True)
        body = self.read_body()
        name = parts[0] if parts else ""
        if name == "json":
            self.json(200, {"a": 1, "list": [1, "two", None, True],
                            "nested": {"k": "v"}, "uni": "\u00e9t\u00e9"})
        elif name == "vnd":
            self.json(200, {"type": "vnd"},
                      "application/vnd.api+json; charset=utf-8")
        elif name == "text":
            self.answer(200, b"plain text\n")
        elif name == "lines":
            self.answer(200, b"one\r\ntwo\rthree\n\nfive {{ x }} %s \\ "
                        b"-x\n\xc3\xa9t\xc3\xa9\n")
        elif name == "echo":
            echo = {"method": self.command, "path": u.path,
                    "query": u.query,
                    "body": body.decode("utf-8", "replace"),
                    "content_type": self.headers.get("Content-Type"),
                    "agent": self.headers.get("User-Agent"),
                    "accept": self.headers.get("Accept")}
            for k, v in self.headers.items():
                if k.lower().startswith("x-echo-"):
                    echo[k.lower()] = v
            self.json(200, echo)
        elif name == "status":
            code = int(parts[1])
            if len(parts) > 2 and parts[2] == "json":
                self.json(code, {"error": "status %d" % code})
            else:
                self.answer(code, ("status %d\n" % code).encode())
        elif name == "redirect":
            to = q.get("to", ["/json"])[0]
            self.answer(int(parts[1]), b"moved\n",
                        headers=[("Location", to)])
        elif name == "chain":
            n = int(parts[1])
            to = "/chain/%d" % (n - 1) if n > 1 else "/json"
            self.answer(302, b"", headers=[("Location", to)])
        elif name == "slow":
            time.sleep(float(parts[1]))
            self.answer(200, b"slow\n")
        elif name == "basic":
            want = "Basic " + base64.b64encode(b"deploy:s3cr3t-PW").decode()
            if self.headers.get("Authorization") == want:
                self.json(200, {"user": "deploy"})
            else:
                self.answer(401, b"who are you\n", headers=[
                    ("WWW-Authenticate", 'Basic realm="uri"')])
        elif name == "cookie":
            self.json(200, {"cookies": "set"}, headers=[
                ("Set-Cookie", "session=c00kie-S3SS; Path=/"),
                ("Set-Cookie", "theme=dark; Path=/")])
        elif name == "dup":
            self.answer(200, b"dup\n", headers=[("X-Dup", "a"),
                                                 ("X-Dup", "b")])
        elif name == "token":
            self.json(201, {"issued": True}, headers=[
                ("X-Auth-Token", "t0ken-FROM-server")])
        elif name == "big":
            n = int(q.get("n", ["1048576"])[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            chunk = b"x" * 65536
            while n > 0 and self.command != "HEAD":
                self.wfile.write(chunk[:n])
                n -= len(chunk)
        elif name == "file.txt":
            ims = self.headers.get("If-Modified-Since")
            if ims and email.utils.parsedate_to_datetime(ims).timestamp() \
                    >= FILE_TIME:
                self.answer(304, b"", ctype=None)
            else:
                self.answer(200, FILE_BODY, headers=[
                    ("Last-Modified", email.utils.formatdate(
                        FILE_TIME, usegmt=True))])
        elif name == "tls-who":
            cert = self.connection.getpeercert() or {}
            cn = [v for rdn in cert.get("subject", ()) for k, v in rdn
                  if k == "commonName"]
            self.json(200, {"cn": cn[0] if cn else None})
        else:
            self.answer(404, b"no such thing\n")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = \
        do_OPTIONS = handle_any


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        req, _ = super().get_request()
        return req, ("unix", 0)


def main():
    args = sys.argv[1:]
    unix = tls = None
    while args:
        if args[0] == "--unix":
            unix, args = args[1], args[2:]
        elif args[0] == "--tls":
            tls, args = args[1:4], args[4:]
        else:
            sys.exit("usage: uri-server.py [--unix PATH] [--tls CERT KEY CA]")
    ThreadingHTTPServer.daemon_threads = True
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        ctx.load_verify_locations(tls[2])
        ctx.verify_mode = ssl.CERT_REQUIRED
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    if unix:
        if os.path.exists(unix):
            os.unlink(unix)
        us = UnixServer(unix, Handler)
        threading.Thread(target=us.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    print("Serving HTTP on 127.0.0.1 port %d (http://127.0.0.1:%d/) ..."
          % (port, port), flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
