"""The shop's orders service as a real peer for `accord load`: grpcio servers for
shop.orders.v1.OrderService (classes generated at start from contracts/shop/protos with
grpc_tools.protoc) and an http.server for the gateway's REST routes, all over one in-memory
store. Prints "READY" when listening; on SIGTERM prints "STATS <json>" (calls per gRPC port,
gets that found or missed their order) and exits.

usage: shop_peer.py PROTO_ROOT GRPC_PORT[,GRPC_PORT...] HTTP_PORT
"""
import json
import os
import signal
import sys
import tempfile
import threading
import uuid
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from google.protobuf import json_format
from grpc_tools import protoc

proto_root, grpc_ports, http_port = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
out = tempfile.mkdtemp(prefix="accord-shop-")
include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
if protoc.main(["protoc", f"-I{proto_root}", f"-I{include}", f"--python_out={out}",
                "shop/orders/v1/orders.proto"]) != 0:
    sys.exit("protoc failed")
sys.path.insert(0, out)
from shop.orders.v1 import orders_pb2 as pb  # noqa: E402

lock = threading.Lock()
orders = {}
stats = {"calls": {port: 0 for port in grpc_ports}, "creates": 0, "gets_found": 0, "gets_missing": 0,
         "lists": 0, "streamed": 0, "http_creates": 0, "http_gets_found": 0, "http_gets_missing": 0}


def create(request):
    order = pb.Order(id=str(uuid.uuid4()), user_id=request.user_id, user_email=request.user_email,
                     status=pb.ORDER_STATUS_PENDING)
    order.items.extend(request.items)
    order.total_cents = sum(item.quantity * item.unit_price_cents for item in request.items)
    with lock:
        orders[order.id] = order
    return order


def find(order_id, found, missing):
    with lock:
        order = orders.get(order_id)
        stats[found if order else missing] += 1
    return order


class OrderService:
    def __init__(self, port):
        self.port = port

    def count(self, key=None):
        with lock:
            stats["calls"][self.port] += 1
            if key:
                stats[key] += 1

    def CreateOrder(self, request, context):
        self.count("creates")
        if not request.user_id or not request.items:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "user_id and items are required")
        return pb.CreateOrderResponse(order=create(request))

    def GetOrder(self, request, context):
        self.count()
        order = find(request.order_id, "gets_found", "gets_missing")
        if order is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no order {request.order_id}")
        return pb.GetOrderResponse(order=order)

    def ListOrders(self, request, context):
        self.count("lists")
        with lock:
            mine = [o for o in orders.values() if o.user_id == request.user_id]
        for order in mine[: request.page_size or len(mine)]:
            with lock:
                stats["streamed"] += 1
            yield order


def handler(service):
    def unary(method, request_type, response_type):
        return grpc.unary_unary_rpc_method_handler(
            getattr(service, method), request_deserializer=request_type.FromString,
            response_serializer=response_type.SerializeToString)

    return grpc.method_handlers_generic_handler("shop.orders.v1.OrderService", {
        "CreateOrder": unary("CreateOrder", pb.CreateOrderRequest, pb.CreateOrderResponse),
        "GetOrder": unary("GetOrder", pb.GetOrderRequest, pb.GetOrderResponse),
        "ListOrders": grpc.unary_stream_rpc_method_handler(
            service.ListOrders, request_deserializer=pb.ListOrdersRequest.FromString,
            response_serializer=pb.Order.SerializeToString),
    })


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def envelope(self, order):
        return {"order": json_format.MessageToDict(order, preserving_proto_field_name=True)}

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/orders":
            return self.reply(404, {"code": "NOT_FOUND", "message": self.path})
        try:
            request = json_format.ParseDict(body, pb.CreateOrderRequest())
        except json_format.ParseError as error:
            return self.reply(400, {"code": "INVALID_ARGUMENT", "message": str(error)})
        if not request.user_id or not request.items:
            return self.reply(400, {"code": "INVALID_ARGUMENT", "message": "user_id and items are required"})
        with lock:
            stats["http_creates"] += 1
        self.reply(201, self.envelope(create(request)))

    def do_GET(self):
        prefix = "/orders/"
        if not self.path.startswith(prefix):
            return self.reply(404, {"code": "NOT_FOUND", "message": self.path})
        order = find(self.path[len(prefix):], "http_gets_found", "http_gets_missing")
        if order is None:
            return self.reply(404, {"code": "NOT_FOUND", "message": self.path})
        self.reply(200, self.envelope(order))

    def log_message(self, *args):
        pass


servers = []
for port in grpc_ports:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((handler(OrderService(port)),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    servers.append(server)
gateway = ThreadingHTTPServer(("127.0.0.1", http_port), Gateway)
threading.Thread(target=gateway.serve_forever, daemon=True).start()

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
print("READY", flush=True)
stop.wait()
for server in servers:
    server.stop(grace=1)
gateway.shutdown()
with lock:
    print("STATS " + json.dumps(stats), flush=True)
