"""Runs a command as a child subreaper, so that the processes it leaves behind are re-parented
here rather than to init: waits for a line starting with READY on its stdout, prints the command's
pid (OWNER <pid>) and each process it started (CHILD <pid> <command line>), kills it with SIGKILL,
then reaps everything re-parented here, printing how each ended (ENDED <pid> code=<n> or
signal=<n>), until nothing is left (DONE) or 30 s have passed (LEFT <pids>, which it then kills).
"""
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl: " + os.strerror(ctypes.get_errno()))

owner = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
for line in owner.stdout:
    if line.startswith(b"READY"):
        break
else:
    sys.exit("the command ended without printing READY")


def children(parent):
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            yield int(entry), " ".join(command.split())


print(f"OWNER {owner.pid}", flush=True)
for pid, command in children(owner.pid):
    print(f"CHILD {pid} {command}", flush=True)
owner.kill()

deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        pid, status = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        print("DONE", flush=True)
        sys.exit(0)
    if pid == 0:
        time.sleep(0.02)
    elif os.WIFSIGNALED(status):
        print(f"ENDED {pid} signal={os.WTERMSIG(status)}", flush=True)
    else:
        print(f"ENDED {pid} code={os.WEXITSTATUS(status)}", flush=True)
left = [pid for pid, _ in children(os.getpid())]
print("LEFT " + " ".join(map(str, left)), flush=True)
for pid in left:
    os.kill(pid, signal.SIGKILL)
