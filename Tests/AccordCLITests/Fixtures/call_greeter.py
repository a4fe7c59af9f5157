"""Calls accord.demo.v1.Greeter/SayHello on 127.0.0.1:PORT with grpcio, using classes that
protoc generates from the shipped contracts/demo/greeter.proto; prints the reply as JSON."""
import os
import sys
import tempfile

import grpc
from google.protobuf import json_format
from grpc_tools import protoc

proto_dir, port = sys.argv[1], sys.argv[2]
out = tempfile.mkdtemp(prefix="accord-greeter-")
include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
if protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", "greeter.proto"]) != 0:
    sys.exit("protoc failed")
sys.path.insert(0, out)
import greeter_pb2 as pb

channel = grpc.insecure_channel(f"127.0.0.1:{port}")
say = channel.unary_unary("/accord.demo.v1.Greeter/SayHello", pb.HelloRequest.SerializeToString,
                          pb.HelloReply.FromString)
reply = say(pb.HelloRequest(name="ada", request_id=42, mood=pb.MOOD_GRUMPY), timeout=10)
print(json_format.MessageToJson(reply, indent=None), flush=True)
