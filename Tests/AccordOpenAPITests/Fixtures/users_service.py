"""A small users service on Python's standard http.server, for contract tests.

Usage: users_service.py PORT [--rename-user-id]
Prints "READY PORT" once listening. With --rename-user-id it sends `userId` where its
contract says `user_id`, the drift the contract test must catch.
"""
import http.server
import json
import sys

PORT = int(sys.argv[1])
RENAME = "--rename-user-id" in sys.argv[2:]
USERS = {
    "u-1": {"name": "Ada", "email": "ada@example.com", "created_at": "2024-01-02T03:04:05Z"},
    "u-2": {"name": "Brian", "email": "brian@example.com", "nickname": None},
}


def user(user_id):
    body = {("userId" if RENAME else "user_id"): user_id}
    body.update(USERS[user_id])
    return body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/users":
            self.reply(200, [user(u) for u in sorted(USERS)])
        elif path.startswith("/users/") and path[len("/users/"):] in USERS:
            self.reply(200, user(path[len("/users/"):]))
        else:
            self.reply(404, {"code": "not_found", "message": "no such user"})

    def reply(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print(f"READY {PORT}", flush=True)
server.serve_forever()
