"""MQTT over WebSocket against cairn with Python paho (python3-paho-mqtt 1.6):
QoS 1 round trips ws -> tcp, tcp -> ws and wss -> ws, and upgrade requests
refused (another path: 404; no "mqtt" subprotocol: 400).

usage: websocket_clients.py PLAIN_PORT WS_PORT WSS_PORT CA_FILE
Prints one "FAIL: ..." line per failed check and exits 1 if any failed.
"""
import socket
import sys
import threading

import paho.mqtt.client as mqtt

plain_port, ws_port, wss_port = (int(p) for p in sys.argv[1:4])
ca_file = sys.argv[4]
failures = []


def check(name, expected, got):
    if expected != got:
        failures.append(f"FAIL: {name}: expected {expected!r}, got {got!r}")


def connect(port, transport="tcp", ca=None, path="/mqtt"):
    client = mqtt.Client(transport=transport, protocol=mqtt.MQTTv311)
    if transport == "websockets":
        client.ws_set_options(path=path)
    if ca:
        client.tls_set(ca_certs=ca)
    connected = threading.Event()
    client.on_connect = lambda c, u, f, rc: connected.set() if rc == 0 else None
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    if not connected.wait(5):
        client.loop_stop()
        raise RuntimeError(f"no CONNACK on port {port} ({transport})")
    return client


def round_trip(name, sub_client, pub_client, topic):
    got = []
    arrived = threading.Event()
    subscribed = threading.Event()

    def on_message(c, u, message):
        got.append((message.topic, message.payload.decode(), message.qos))
        arrived.set()

    sub_client.on_message = on_message
    sub_client.on_subscribe = lambda c, u, mid, granted: subscribed.set()
    sub_client.subscribe(topic, qos=1)
    if not subscribed.wait(5):
        failures.append(f"FAIL: {name}: no SUBACK")
        return
    info = pub_client.publish(topic, f"hello {name}", qos=1)
    info.wait_for_publish(5)
    check(f"{name}: PUBACK", True, info.is_published())
    arrived.wait(5)
    check(f"{name}: received", [(topic, f"hello {name}", 1)], got)


def close(*clients):
    for c in clients:
        c.disconnect()
        c.loop_stop()


try:
    ws = connect(ws_port, "websockets")
    tcp = connect(plain_port)
    round_trip("ws to tcp", tcp, ws, "rt/ws-to-tcp")
    round_trip("tcp to ws", ws, tcp, "rt/tcp-to-ws")
    wss = connect(wss_port, "websockets", ca=ca_file)
    round_trip("wss to ws", ws, wss, "rt/wss-to-ws")
    round_trip("ws to wss", wss, ws, "rt/ws-to-wss")
    close(ws, tcp, wss)
except Exception as error:  # a failed connect: report, do not hide the rest
    failures.append(f"FAIL: round trips: {error!r}")

# Another path: paho's connect fails on the refused upgrade.
try:
    connect(ws_port, "websockets", path="/wrong")
    failures.append("FAIL: a wrong path was accepted")
except Exception:
    pass


def upgrade_status(path, protocol):
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n")
    if protocol:
        request += f"Sec-WebSocket-Protocol: {protocol}\r\n"
    with socket.create_connection(("127.0.0.1", ws_port), timeout=5) as s:
        s.sendall((request + "\r\n").encode())
        reply = s.recv(4096).decode(errors="replace")
    return reply.split("\r\n", 1)[0]


def frame(opcode, payload):
    """A client frame: FIN, the opcode, masked (RFC 6455 5.3), short length."""
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def first_reply_to_connect(opcode, pipelined=False):
    """Upgrades, sends a 3.1.1 CONNECT in one frame of this opcode (after the
    101, or with the request when pipelined), and returns the first bytes of
    the server's next frame (b"" if it closed)."""
    request = ("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
    connect = bytes([0x10, 15, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 30, 0, 3]) + b"raw"
    with socket.create_connection(("127.0.0.1", ws_port), timeout=5) as s:
        s.sendall(request.encode() + (frame(opcode, connect) if pipelined else b""))
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                return b"no upgrade"
            reply += chunk
        rest = reply.split(b"\r\n\r\n", 1)[1]
        if not pipelined:
            s.sendall(frame(opcode, connect))
        try:
            rest += s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            pass
        return rest[:4]


# [MQTT-6.0.0-1]: MQTT travels in binary frames; a text frame closes the
# connection without an answer.
check("a CONNECT in a binary frame is answered with a CONNACK",
      bytes([0x82, 4, 0x20, 2]), first_reply_to_connect(0x2))
# A client that sends its CONNECT with the upgrade request, not waiting for
# the 101: the bytes after the request are not lost.
check("a CONNECT sent with the upgrade request is answered",
      bytes([0x82, 4, 0x20, 2]), first_reply_to_connect(0x2, pipelined=True))
check("a CONNECT in a text frame closes the connection (no CONNACK)",
      True, first_reply_to_connect(0x1)[2:3] != b"\x20")

check("another path", "HTTP/1.1 404 Not Found", upgrade_status("/wrong", "mqtt"))
check("no mqtt subprotocol", "HTTP/1.1 400 Bad Request", upgrade_status("/mqtt", None))
check("a list offering mqtt", "HTTP/1.1 101 Switching Protocols",
      upgrade_status("/mqtt", "mqtt, mqttv3.1"))

for line in failures:
    print(line)
print(f"websocket_clients: {len(failures)} failed")
sys.exit(1 if failures else 0)
