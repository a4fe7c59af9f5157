"""Consumes COUNT messages with pika (manual acks) and prints each as one JSON line, with header values
tagged by the Python type pika decoded them to, so the test can check what pika saw.

usage: pika_consume.py URL QUEUE COUNT
prints: READY once consuming, then one JSON object per message
"""
import base64
import datetime
import decimal
import json
import sys

import pika


def tagged(value):
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["int", value]
    if isinstance(value, float):
        return ["float", value]
    if isinstance(value, decimal.Decimal):
        return ["decimal", str(value)]
    if isinstance(value, datetime.datetime):
        return ["timestamp", int(value.replace(tzinfo=datetime.timezone.utc).timestamp())]
    if isinstance(value, bytes):
        return ["bytes", base64.b64encode(value).decode()]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, dict):
        return ["table", {key: tagged(item) for key, item in value.items()}]
    if isinstance(value, list):
        return ["array", [tagged(item) for item in value]]
    if value is None:
        return ["void", None]
    return ["unknown", repr(value)]


url, queue, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
channel.basic_qos(prefetch_count=10)
print("READY", flush=True)
received = 0
for method, properties, body in channel.consume(queue, auto_ack=False, inactivity_timeout=30):
    if method is None:
        print("TIMEOUT", flush=True)
        sys.exit(1)
    print(json.dumps({
        "body": body.decode(),
        "redelivered": method.redelivered,
        "content_type": properties.content_type,
        "delivery_mode": properties.delivery_mode,
        "correlation_id": properties.correlation_id,
        "message_id": properties.message_id,
        "timestamp": properties.timestamp,
        "headers": {key: tagged(value) for key, value in (properties.headers or {}).items()},
    }), flush=True)
    channel.basic_ack(method.delivery_tag)
    received += 1
    if received == count:
        break
channel.cancel()
connection.close()
