"""Publishes COUNT messages with pika (publisher confirms on), every property set and headers of
each type pika writes, for Accord to consume. (pika 1.4 cannot encode floats in tables.)

usage: pika_publish.py URL QUEUE COUNT
prints: SENT <count> once every message is confirmed
"""
import datetime
import decimal
import sys

import pika

url, queue, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
channel.confirm_delivery()
for index in range(count):
    properties = pika.BasicProperties(
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=2,
        priority=4,
        correlation_id=f"corr-{index}",
        reply_to="replies",
        expiration="60000",
        message_id=f"pika-{index}",
        timestamp=1700000000 + index,
        type="order.created",
        app_id="pika",
        headers={
            "text": "héllo",
            "small": 42,
            "big": 2**40,
            "negative": -7,
            "flag": True,
            "price": decimal.Decimal("12.34"),
            "when": datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc),
            "raw": b"\x00\x01\xff",
            "nested": {"list": [1, "two", {"three": False}]},
            "nothing": None,
            "index": index,
        },
    )
    channel.basic_publish(exchange="", routing_key=queue, body=f'{{"n": {index}}}'.encode(),
                          properties=properties, mandatory=True)
print(f"SENT {count}", flush=True)
connection.close()
