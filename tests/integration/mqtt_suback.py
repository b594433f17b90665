#!/usr/bin/env python3
"""Prints the reason codes of one SUBACK, in hex, one per filter.

usage: mqtt_suback.py PORT VERSION(4|5) USER PASSWORD FILTER...

A raw MQTT client in a few lines, so an integration test can assert the exact
SUBACK byte (0x87 in MQTT 5, 0x80 in 3.1.1) that mosquitto_sub does not print.
Exits 2 when the CONNACK is not a success, printing its code.
"""
import socket
import struct
import sys


def utf8(text):
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def varint(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first_byte, body):
    return bytes([first_byte]) + varint(len(body)) + body


def read_packet(sock):
    first = sock.recv(1)
    if not first:
        raise SystemExit("connection closed")
    length, shift = 0, 0
    while True:
        byte = sock.recv(1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise SystemExit("connection closed")
        body += chunk
    return first[0], body


def main():
    port, version, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    filters = sys.argv[5:]
    v5 = version == 5
    flags = 0x02 | 0x80 | 0x40  # clean start, user name, password
    body = utf8("MQTT") + bytes([version, flags]) + struct.pack("!H", 30)
    if v5:
        body += varint(0)  # no properties
    body += utf8("suback-probe") + utf8(user) + utf8(password)
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(packet(0x10, body))
    kind, connack = read_packet(sock)
    if kind >> 4 != 2 or connack[1] != 0:
        print("connack %02x" % connack[1])
        sys.exit(2)
    body = struct.pack("!H", 1) + (varint(0) if v5 else b"")
    for f in filters:
        body += utf8(f) + bytes([1])
    sock.sendall(packet(0x82, body))
    kind, suback = read_packet(sock)
    codes = suback[2:]
    if v5:
        props_len = codes[0]  # short properties only
        codes = codes[1 + props_len:]
    print(" ".join("%02x" % c for c in codes))
    sock.sendall(packet(0xE0, b""))


main()
