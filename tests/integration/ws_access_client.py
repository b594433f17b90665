"""One MQTT-over-WebSocket client action against cairn, with Python paho
(python3-paho-mqtt 1.6): Debian 12's mosquitto_pub/sub speak no WebSocket, so
secure_access_test.sh uses this where it would use them.

usage: ws_access_client.py ACTION --port P [--cafile CA] [--user U --password W]
                           [--id ID] [--v5] [--topic T] [--message M]
                           [--count N] [--timeout S] [--keep-session] [--send T]
  connect    prints the CONNACK code (0: accepted; 134/135 in MQTT 5, 4/5 in 3.1.1)
  subscribe  subscribes to --topic at QoS 1, prints the SUBACK code
  publish    publishes --message to --topic at QoS 1; exits 0 once acknowledged
  receive    (subscribes to --topic unless it is empty, publishes --message to --send
             if given, then) prints "topic payload" for each message until --count
             arrived or --timeout passed
Exits 2 when the broker does not answer in time.
"""
import argparse
import sys
import threading

import paho.mqtt.client as mqtt

parser = argparse.ArgumentParser()
parser.add_argument("action", choices=["connect", "subscribe", "publish", "receive"])
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--cafile")
parser.add_argument("--user")
parser.add_argument("--password")
parser.add_argument("--id", default="")
parser.add_argument("--v5", action="store_true")
parser.add_argument("--topic", default="")
parser.add_argument("--message", default="")
parser.add_argument("--count", type=int, default=1)
parser.add_argument("--timeout", type=float, default=5)
parser.add_argument("--keep-session", action="store_true")
parser.add_argument("--send")
args = parser.parse_args()

protocol = mqtt.MQTTv5 if args.v5 else mqtt.MQTTv311
if protocol == mqtt.MQTTv5:
    client = mqtt.Client(client_id=args.id, protocol=protocol, transport="websockets")
else:
    client = mqtt.Client(client_id=args.id, clean_session=not args.keep_session,
                         protocol=protocol, transport="websockets")
client.ws_set_options(path="/mqtt")
if args.cafile:
    client.tls_set(ca_certs=args.cafile)
if args.user is not None:
    client.username_pw_set(args.user, args.password)

connack = []
connected = threading.Event()
suback = []
subscribed = threading.Event()
received = []
enough = threading.Event()


def on_connect(c, userdata, flags, rc, properties=None):
    connack.append(rc.value if hasattr(rc, "value") else rc)
    connected.set()


def on_subscribe(c, userdata, mid, granted, properties=None):
    suback.extend(g.value if hasattr(g, "value") else g for g in granted)
    subscribed.set()


def on_message(c, userdata, message):
    received.append(f"{message.topic} {message.payload.decode()}")
    if len(received) >= args.count:
        enough.set()


client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
if protocol == mqtt.MQTTv5:
    client.connect("127.0.0.1", args.port, keepalive=30, clean_start=not args.keep_session)
else:
    client.connect("127.0.0.1", args.port, keepalive=30)
client.loop_start()


def finish(code):
    client.disconnect()
    client.loop_stop()
    sys.exit(code)


if not connected.wait(args.timeout):
    print("no CONNACK", file=sys.stderr)
    finish(2)
if args.action == "connect" or connack[0] != 0:
    print(connack[0])
    finish(0 if args.action == "connect" else 1)

if args.action == "subscribe" or (args.action == "receive" and args.topic):
    client.subscribe(args.topic, qos=1)
    if not subscribed.wait(args.timeout):
        print("no SUBACK", file=sys.stderr)
        finish(2)
    if args.action == "subscribe":
        print(suback[0])
        finish(0)

if args.action == "publish":
    info = client.publish(args.topic, args.message, qos=1)
    info.wait_for_publish(args.timeout)
    finish(0 if info.is_published() else 2)

if args.send:
    client.publish(args.send, args.message, qos=1)
enough.wait(args.timeout)
for line in received:
    print(line)
finish(0)
