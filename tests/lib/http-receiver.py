#!/usr/bin/python3
"""A local HTTP server that speaks the wire format of the announcement and
paging APIs tend's window providers call (Slack Web API and incoming
webhooks, PagerDuty REST v2 maintenance windows, generic signed webhooks),
checks the documented payloads and headers, and logs every request.
Under /odd-am/ it is an Alertmanager whose silences work but whose list
of alerts comes back as a JSON object (a proxy's or another version's
answer): tend must refuse the shape, not crash on it.

    http-receiver.py DIR [--secret S] [--fail]

Writes DIR/port once listening and DIR/requests.jsonl (one JSON object a
request: method, path, headers, body, problems). A request that breaks
the documented format gets an error answer (Slack: ok=false, also for a
text with &, < or > unescaped; others 400, or 401 for a bad signature).
--fail answers 500 to everything.
"""
import hashlib
import hmac
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

DIR = sys.argv[1]
SECRET = None
FAIL = "--fail" in sys.argv
if "--secret" in sys.argv:
    SECRET = sys.argv[sys.argv.index("--secret") + 1].encode()
counter = [0]


def check_slack_text(body, problems):
    """Slack's markup: &, < and > in plain text must come as &amp;, &lt;
    and &gt; (tend sends no links nor mentions, so no raw < or > at all)."""
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return
    if "<" in text or ">" in text:
        problems.append("unescaped < or > in text")
    if re.search(r"&(?!(amp|lt|gt);)", text):
        problems.append("unescaped & in text")


def check_slack(h, path, body, problems):
    if not h.get("Authorization", "").startswith("Bearer "):
        problems.append("no bearer token")
    if not h.get("Content-Type", "").startswith("application/json"):
        problems.append("not JSON")
    if not isinstance(body, dict) or not body.get("channel"):
        problems.append("no channel")
    if not isinstance(body, dict) or not body.get("text"):
        problems.append("no text")
    if path.endswith("chat.update") and not (isinstance(body, dict) and body.get("ts")):
        problems.append("no ts")
    check_slack_text(body, problems)
    if problems:
        return 200, {"ok": False, "error": "; ".join(problems)}
    if path.endswith("chat.postMessage"):
        return 200, {"ok": True, "channel": body["channel"].upper(), "ts": "1700000000.000100"}
    return 200, {"ok": True, "channel": body["channel"], "ts": body["ts"]}


def check_pagerduty(h, method, path, body, problems):
    if not h.get("Authorization", "").startswith("Token token="):
        problems.append("bad Authorization")
    if "@" not in h.get("From", ""):
        problems.append("no From")
    if "application/vnd.pagerduty+json;version=2" not in h.get("Accept", ""):
        problems.append("bad Accept")
    if method == "POST":
        mw = body.get("maintenance_window", {}) if isinstance(body, dict) else {}
        if mw.get("type") != "maintenance_window":
            problems.append("bad type")
        for k in ("start_time", "end_time"):
            if not mw.get(k):
                problems.append("no " + k)
        svcs = mw.get("services") or []
        if not svcs or any(s.get("type") != "service_reference" for s in svcs):
            problems.append("bad services")
        if problems:
            return 400, {"error": {"message": "; ".join(problems)}}
        counter[0] += 1
        mw = dict(mw, id="PW%d" % counter[0])
        return 201, {"maintenance_window": mw}
    if method == "PUT":
        mw = body.get("maintenance_window", {}) if isinstance(body, dict) else {}
        if not mw.get("end_time"):
            problems.append("no end_time")
        if problems:
            return 400, {"error": {"message": "; ".join(problems)}}
        return 200, {"maintenance_window": dict(mw, id=path.rsplit("/", 1)[1])}
    if method == "DELETE":
        return (400, {"error": {"message": "; ".join(problems)}}) if problems else (204, None)
    return 404, {"error": "no route"}


def odd_alertmanager(method, path, body):
    if method == "POST" and path.endswith("/api/v2/silences"):
        return 200, {"silenceID": "odd-1"}
    if method == "GET" and "/api/v2/silence/" in path:
        return 200, dict(body or {}, id="odd-1", matchers=[],
                         startsAt="2024-01-01T00:00:00Z", createdBy="tend")
    if method == "GET" and "/api/v2/alerts" in path:
        return 200, {"data": [], "status": "success"}
    return 200, None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        h = {k: v for k, v in self.headers.items()}
        problems = []
        path = self.path
        if FAIL:
            status, answer = 500, {"error": "failing on purpose"}
        elif path.startswith("/slack/"):
            status, answer = check_slack(h, path, body, problems)
        elif path.startswith("/hook/"):
            if not isinstance(body, dict) or not body.get("text"):
                problems.append("no text")
            check_slack_text(body, problems)
            status, answer = (400, None) if problems else (200, None)
        elif path.startswith("/pd/"):
            status, answer = check_pagerduty(h, self.command, path, body, problems)
        elif path.startswith("/odd-am/"):
            status, answer = odd_alertmanager(self.command, path, body)
        elif path.startswith("/signed/"):
            sig = h.get("X-Tend-Signature", "")
            want = "sha256=" + hmac.new(SECRET or b"", raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(sig, want):
                problems.append("bad signature")
            if not isinstance(body, dict) or not body.get("event"):
                problems.append("no event")
            status, answer = (401 if "bad signature" in problems else 400 if problems else 200), {}
        else:
            status, answer = 404, {"error": "no route"}
        with open(os.path.join(DIR, "requests.jsonl"), "a") as f:
            f.write(json.dumps({"method": self.command, "path": path, "headers": h,
                                "body": body, "problems": problems}) + "\n")
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


srv = HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(srv.server_port))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
srv.serve_forever()
