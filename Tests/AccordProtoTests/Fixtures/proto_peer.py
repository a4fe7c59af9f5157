#!/usr/bin/env python3
"""The reference protobuf runtime as a peer for AccordProto's tests.

Usage: proto_peer.py REQUEST.json
REQUEST: {"descriptor_set": PATH, "items": [ITEM, ...]}; prints one JSON array, a result per item.
Messages are built from the same FileDescriptorSet the Swift side loads (no generated code), so
both codecs read one schema and only the encoders and decoders differ.

ITEM ops (binary is base64 throughout):
  from_json  {type, json}             -> {binary, json}   Parse, then deterministic bytes and MessageToJson
  normalize  {type, binary}           -> {binary, json}   ParseFromString, then the same
  check      {type, binary, json, expected_json}
                                      -> {binary_equal, json_equal, binary_as_json, json_as_json}
                                         whether Swift's bytes and Swift's JSON both parse to the
                                         message that expected_json describes
A failing item yields {"error": "..."} (for example, Python rejecting malformed bytes).
"""
import base64
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory


def load_pool(path):
    files = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as f:
        files.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:  # protoc lists dependencies first
        pool.AddSerializedFile(file.SerializeToString())
    return pool


def to_json(message, pool):
    return json.loads(json_format.MessageToJson(message, descriptor_pool=pool))


def run(item, pool):
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(item["type"]))
    op = item["op"]
    if op in ("from_json", "normalize"):
        message = cls()
        if op == "from_json":
            json_format.Parse(json.dumps(item["json"]), message, descriptor_pool=pool)
        else:
            message.ParseFromString(base64.b64decode(item["binary"]))
        return {
            "binary": base64.b64encode(message.SerializeToString(deterministic=True)).decode(),
            "json": to_json(message, pool),
        }
    if op == "check":
        expected = cls()
        json_format.Parse(json.dumps(item["expected_json"]), expected, descriptor_pool=pool)
        from_binary = cls()
        from_binary.ParseFromString(base64.b64decode(item["binary"]))
        from_json = cls()
        json_format.Parse(json.dumps(item["json"]), from_json, descriptor_pool=pool)
        return {
            "binary_equal": from_binary == expected,
            "json_equal": from_json == expected,
            "binary_as_json": to_json(from_binary, pool),
            "json_as_json": to_json(from_json, pool),
        }
    raise ValueError("unknown op " + op)


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    pool = load_pool(request["descriptor_set"])
    results = []
    for item in request["items"]:
        try:
            results.append(run(item, pool))
        except Exception as error:  # reported per item; the Swift test decides what it means
            results.append({"error": "%s: %s" % (type(error).__name__, error)})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
