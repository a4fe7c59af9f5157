"""A grpcio server written outside Accord, for shutdown measurement tests.

shutdown_peer.py MODE PORT serves /accord.demo.v1.Greeter/SayHello (echoing the request bytes
after 100 ms) and prints READY. On SIGTERM:
  graceful  server.stop(grace=5): GOAWAY, refuse new calls, finish those in flight, exit 0
  abrupt    os._exit(1) at once: calls in flight are dropped (the negative control)
"""
import os
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

mode, port = sys.argv[1], int(sys.argv[2])


def say(request, context):
    time.sleep(0.1)
    return request


handler = grpc.method_handlers_generic_handler(
    "accord.demo.v1.Greeter", {"SayHello": grpc.unary_unary_rpc_method_handler(say)})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=64))
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port(f"127.0.0.1:{port}")
server.start()
stopped = threading.Event()


def on_sigterm(signum, frame):
    if mode == "abrupt":
        os._exit(1)
    threading.Thread(target=lambda: (server.stop(grace=5).wait(), stopped.set())).start()


signal.signal(signal.SIGTERM, on_sigterm)
print("READY", flush=True)
stopped.wait()
