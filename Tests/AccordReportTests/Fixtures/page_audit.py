"""Loads one page in headless Chromium, driven over the DevTools protocol on a pipe
(--remote-debugging-pipe), and prints JSON: whether it loaded, every request the page made
other than for its own document, and every console message, uncaught exception and browser
log entry (failed loads, Content-Security-Policy violations) it produced.

Only the page's own activity is reported. A proxy or a packet capture would also see the
browser's background traffic (component updates, sign-in checks), which no flag fully stops
and which has nothing to do with the page; the page's Network domain sees exactly its requests.

usage: page_audit.py CHROMIUM URL USER_DATA_DIR
"""
import json
import os
import select
import subprocess
import sys
import time

chromium, url, user_data_dir = sys.argv[1:4]
to_browser_read, to_browser_write = os.pipe()
from_browser_read, from_browser_write = os.pipe()


def browser_pipes():
    # The protocol pipe is fixed by Chromium: it reads commands on fd 3 and writes on fd 4.
    # Copy to fresh descriptors first: the pipe may already sit on 3 or 4, and dup2 onto itself
    # would keep its close-on-exec flag.
    read_end, write_end = os.dup(to_browser_read), os.dup(from_browser_write)
    os.dup2(read_end, 3)
    os.dup2(write_end, 4)


browser = subprocess.Popen(
    # A proxy that refuses: a request the page makes is still seen, and never leaves the machine.
    [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--remote-debugging-pipe",
     "--proxy-server=127.0.0.1:1", "--window-size=1280,2000", "--no-first-run",
     f"--user-data-dir={user_data_dir}", "about:blank"],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    close_fds=False, preexec_fn=browser_pipes)
os.close(to_browser_read)
os.close(from_browser_write)

deadline = time.monotonic() + 40
buffer = b""
events = []
next_id = 0


def send(method, params=None, session=None):
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_browser_write, json.dumps(message).encode() + b"\0")
    return next_id


def read_message(until):
    """The next message, or None when `until` (a monotonic time) passes first."""
    global buffer
    while b"\0" not in buffer:
        remaining = min(until, deadline) - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([from_browser_read], [], [], remaining)
        if ready:
            chunk = os.read(from_browser_read, 1 << 16)
            if not chunk:
                sys.exit("chromium closed the protocol pipe")
            buffer += chunk
    message, buffer = buffer.split(b"\0", 1)
    return json.loads(message)


def call(method, params=None, session=None):
    wanted = send(method, params, session)
    while True:
        message = read_message(deadline)
        if message is None:
            sys.exit(f"no answer to {method} in time")
        if message.get("id") == wanted:
            if "error" in message:
                sys.exit(f"{method} failed: {message['error']}")
            return message.get("result", {})
        events.append(message)


page = None
for _ in range(100):
    page = next((t for t in call("Target.getTargets")["targetInfos"] if t["type"] == "page"), None)
    if page:
        break
    time.sleep(0.1)
if page is None:
    sys.exit("chromium opened no page")
session = call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
for domain in ("Page", "Network", "Runtime", "Log"):
    call(f"{domain}.enable", session=session)
events.clear()
call("Page.navigate", {"url": url}, session=session)

loaded = False
quiet_until = deadline
while True:
    message = read_message(quiet_until)
    if message is None:
        break
    events.append(message)
    if message.get("method") == "Page.loadEventFired" and not loaded:
        loaded = True
        # Late requests (lazy images, fonts) start right after load: keep listening a moment.
        quiet_until = time.monotonic() + 1.0

requests, console = [], []
for event in events:
    if event.get("sessionId") != session:
        continue
    method, params = event.get("method"), event.get("params", {})
    if method == "Network.requestWillBeSent" and params["request"]["url"] != url:
        requests.append(params["request"]["url"])
    elif method == "Runtime.consoleAPICalled":
        text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
        console.append(f"console.{params['type']}: {text}")
    elif method == "Runtime.exceptionThrown":
        console.append("exception: " + params["exceptionDetails"].get("text", ""))
    elif method == "Log.entryAdded":
        entry = params["entry"]
        console.append(f"{entry['level']} ({entry['source']}): {entry['text']}")

try:
    call("Browser.close")
except SystemExit:
    pass
try:
    browser.wait(timeout=10)
except subprocess.TimeoutExpired:
    browser.kill()
print(json.dumps({"loaded": loaded, "requests": requests, "console": console}))
