# A grpcio server without generated code: raw bytes in and out. GetThing answers t-1 with
# id, name and a field 9 its .proto does not declare, and anything else with INTERNAL.
import sys
from concurrent import futures

import grpc


def field(number, text):
    data = text.encode()
    return bytes([number << 3 | 2, len(data)]) + data


def get_thing(request, context):
    if request == field(1, "t-1"):
        return field(1, "t-1") + field(2, "Thing one") + field(9, "debug")
    context.abort(grpc.StatusCode.INTERNAL, "lookup failed")


handler = grpc.method_handlers_generic_handler(
    "things.v1.Things", {"GetThing": grpc.unary_unary_rpc_method_handler(get_thing)})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port("127.0.0.1:" + sys.argv[1])
server.start()
server.wait_for_termination()
