"""The Python grpcio side of the interoperability tests.

server PORT        serve accord.test.v1.Echo on 127.0.0.1:PORT, print "READY PORT"
client PORT        call every method of an Echo server on 127.0.0.1:PORT, print one JSON line of results
stall PORT         start a huge Expand stream, read one reply, print "STALLED", then never read again

Echo semantics (the accord side implements the same): Say answers "echo:<text>"; text "fail"
aborts with NOT_FOUND and a message with non-ASCII text and a '%'; delay_ms sleeps first.
Expand streams `count` replies; Collect joins the texts with '+'; Chat echoes each message.
Request metadata whose key starts with "x-" comes back as initial metadata and, with a
"-trailer" suffix, as trailing metadata.
"""
import json
import os
import sys
import tempfile
import time
from concurrent import futures

import grpc
from grpc_tools import protoc

FIXTURES = os.path.dirname(os.path.abspath(__file__))
FAIL_MESSAGE = "no such thing: ünïcode 100%"


def load_messages():
    out = tempfile.mkdtemp(prefix="accord-echo-pb2-")
    rc = protoc.main(["protoc", f"-I{FIXTURES}", f"--python_out={out}", os.path.join(FIXTURES, "echo.proto")])
    if rc != 0:
        sys.exit(f"protoc failed: {rc}")
    sys.path.insert(0, out)
    import echo_pb2
    return echo_pb2


pb = load_messages()
PREFIX = "/accord.test.v1.Echo/"


def echoed(context):
    return [(k, v) for k, v in context.invocation_metadata() if k.startswith("x-")]


def send_metadata(context):
    md = echoed(context)
    context.send_initial_metadata(md)
    context.set_trailing_metadata([(trailer_key(k), v) for k, v in md])


def trailer_key(key):
    # Binary values need a key ending in -bin, so the suffix goes before it.
    return key[:-4] + "-trailer-bin" if key.endswith("-bin") else key + "-trailer"


def say(request, context):
    send_metadata(context)
    if request.delay_ms:
        time.sleep(request.delay_ms / 1000)
    if request.text == "fail":
        context.abort(grpc.StatusCode.NOT_FOUND, FAIL_MESSAGE)
    return pb.EchoReply(text="echo:" + request.text)


def expand(request, context):
    send_metadata(context)
    for i in range(request.count):
        yield pb.EchoReply(text=f"{request.text}-{i}", index=i)


def collect(requests, context):
    send_metadata(context)
    return pb.EchoReply(text="+".join(r.text for r in requests))


def chat(requests, context):
    send_metadata(context)
    for i, r in enumerate(requests):
        yield pb.EchoReply(text="chat:" + r.text, index=i)


def serve(port):
    handler = grpc.method_handlers_generic_handler("accord.test.v1.Echo", {
        "Say": grpc.unary_unary_rpc_method_handler(say, pb.EchoRequest.FromString, pb.EchoReply.SerializeToString),
        "Expand": grpc.unary_stream_rpc_method_handler(
            expand, pb.EchoRequest.FromString, pb.EchoReply.SerializeToString),
        "Collect": grpc.stream_unary_rpc_method_handler(
            collect, pb.EchoRequest.FromString, pb.EchoReply.SerializeToString),
        "Chat": grpc.stream_stream_rpc_method_handler(chat, pb.EchoRequest.FromString, pb.EchoReply.SerializeToString),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    print(f"READY {bound}", flush=True)
    server.wait_for_termination()


def client(port):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=10)
    ser, de = pb.EchoRequest.SerializeToString, pb.EchoReply.FromString
    say_rpc = channel.unary_unary(PREFIX + "Say", ser, de)
    md = (("x-trace", "t-1"), ("x-blob-bin", b"\x00\x01\xfe\xff"))
    results = {}

    reply, call = say_rpc.with_call(pb.EchoRequest(text="hi"), metadata=md, timeout=10)
    results["unary"] = {
        "text": reply.text,
        "initial": {k: (v.hex() if isinstance(v, bytes) else v) for k, v in call.initial_metadata()},
        "trailing": {k: (v.hex() if isinstance(v, bytes) else v) for k, v in call.trailing_metadata()},
    }

    try:
        say_rpc(pb.EchoRequest(text="fail"), timeout=10)
        results["error"] = {"code": "OK"}
    except grpc.RpcError as e:
        results["error"] = {"code": e.code().name, "details": e.details()}

    try:
        say_rpc(pb.EchoRequest(text="slow", delay_ms=3000), timeout=0.3)
        results["deadline"] = {"code": "OK"}
    except grpc.RpcError as e:
        results["deadline"] = {"code": e.code().name}

    expand_rpc = channel.unary_stream(PREFIX + "Expand", ser, de)
    results["server_streaming"] = [(r.text, r.index) for r in expand_rpc(pb.EchoRequest(text="x", count=5), timeout=10)]

    collect_rpc = channel.stream_unary(PREFIX + "Collect", ser, de)
    results["client_streaming"] = collect_rpc(iter([pb.EchoRequest(text=t) for t in "abc"]), timeout=10).text

    chat_rpc = channel.stream_stream(PREFIX + "Chat", ser, de)
    results["bidi"] = [r.text for r in chat_rpc(iter([pb.EchoRequest(text=t) for t in ["p", "q"]]), timeout=10)]

    try:
        channel.unary_unary("/accord.test.v1.Echo/Nope", ser, de)(pb.EchoRequest(), timeout=10)
        results["unknown"] = "OK"
    except grpc.RpcError as e:
        results["unknown"] = e.code().name

    print(json.dumps(results), flush=True)


def stall(port):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    expand_rpc = channel.unary_stream(PREFIX + "Expand", pb.EchoRequest.SerializeToString, pb.EchoReply.FromString)
    replies = expand_rpc(pb.EchoRequest(text="x" * 1000, count=10_000_000), timeout=60)
    next(replies)
    print("STALLED", flush=True)
    time.sleep(60)


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    {"server": serve, "client": client, "stall": stall}[mode](port)
