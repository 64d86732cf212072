#!/usr/bin/python3
"""A forwarding HTTP proxy for tests, on a free loopback port.

It prints http.server's "Serving HTTP on 127.0.0.1 port N ..." line
first, then one line per request it forwarded, once the origin answered:
    PROXY METHOD ABSOLUTE-URL [auth]
("auth" when the client sent Proxy-Authorization). Plain http only (no
CONNECT): what a client sends to an http_proxy for an http:// URL. The
answer goes back with a "Via: 1.1 tend-test-proxy" header added.
"""
import http.client
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
       "transfer-encoding", "te", "trailer", "upgrade"}


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def forward(self):
        u = urllib.parse.urlsplit(self.path)
        if u.scheme != "http" or not u.hostname:
            self.send_error(400, "an absolute http:// URL expected")
            return
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP}
        target = u.path or "/"
        if u.query:
            target += "?" + u.query
        conn = http.client.HTTPConnection(u.hostname, u.port or 80,
                                          timeout=60)
        try:
            conn.request(self.command, target, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
        except OSError as e:
            self.send_error(502, "cannot reach the origin: %s" % e)
            return
        finally:
            conn.close()
        auth = " auth" if self.headers.get("Proxy-Authorization") else ""
        print("PROXY %s %s%s" % (self.command, self.path, auth), flush=True)
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Via", "1.1 tend-test-proxy")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = forward


def main():
    ThreadingHTTPServer.daemon_threads = True
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    print("Serving HTTP on 127.0.0.1 port %d (http://127.0.0.1:%d/) ..."
          % (httpd.server_port, httpd.server_port), flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
