"""Helpers shared by the bench scripts: free ports, and running a child while measuring its
CPU time (user + system, from the kernel's rusage of reaped children) the same way for
accord and for the peer it is compared with."""
import os
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, ".build", "release")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CPUTime(float):
    """CPU seconds (user + system) that also keeps the two apart."""

    def __new__(cls, user, system):
        value = super().__new__(cls, user + system)
        value.user, value.system = user, system
        return value


def measured(command, timeout=300):
    """Runs command to completion; returns (stdout, CPUTime it used). Exits on failure."""
    before = os.times()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=timeout)
    after = os.times()
    cpu = CPUTime(after.children_user - before.children_user, after.children_system - before.children_system)
    if process.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{out}\n{err}")
    return out, cpu


def require_release(*products):
    for product in products:
        if not os.access(os.path.join(RELEASE, product), os.X_OK):
            sys.exit(f"{product} is missing: swift build -c release")
