# The users service as its team wrote it: it answers userId, not the user_id its contract says.
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Users(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            return self.answer(200, {"ok": True})
        if self.path == "/users/u-1":
            return self.answer(200, {"userId": "u-1", "name": "Ada"})
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Users).serve_forever()
