"""A pika consumer written outside Accord, for shutdown measurement tests.

worker.py MODE AMQP_URL QUEUE EXCHANGE ROUTING_KEY declares QUEUE (durable), binds it to the
topic EXCHANGE by ROUTING_KEY, prints READY, and processes each message in 25 ms, printing
`amqp.message_id=<id> accord.stage=received` when it takes one and `processed amqp.message_id=<id>`
when it is done (the lines accord load accounts by). On SIGTERM:
  graceful  manual acks, 10 prefetched: finishes and acks the message in hand, cancels the consumer
            (pika hands back what it had buffered: the broker requeues it), closes, exits 0
  abrupt    auto_ack (the broker forgets each message once sent) and os._exit(1) at once: every
            message sent to it and not yet processed is lost (the negative control)
"""
import os
import signal
import sys
import time

import pika

mode, url, queue, exchange, routing_key = sys.argv[1:6]
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
channel.exchange_declare(exchange, exchange_type="topic", durable=True)
channel.queue_declare(queue, durable=True)
channel.queue_bind(queue, exchange, routing_key=routing_key)
auto_ack = mode == "abrupt"
if not auto_ack:
    channel.basic_qos(prefetch_count=10)
stopping = False


def on_sigterm(signum, frame):
    global stopping
    if mode == "abrupt":
        os._exit(1)
    stopping = True


signal.signal(signal.SIGTERM, on_sigterm)
print("READY", flush=True)
for method, properties, body in channel.consume(queue, auto_ack=auto_ack, inactivity_timeout=0.1):
    if method is not None:
        message_id = properties.message_id
        print(f"amqp.message_id={message_id} accord.stage=received", flush=True)
        time.sleep(0.025)
        if not auto_ack:
            channel.basic_ack(method.delivery_tag)
        print(f"processed amqp.message_id={message_id}", flush=True)
    if stopping:
        break
channel.cancel()
connection.close()
print("stopped", flush=True)
