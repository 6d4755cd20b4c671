#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Mesos's ZooKeeper master detection, the way libmesos, mesos-go and pymesos detectors do
it, on a minimal ZooKeeper client written with the standard library only (no third-party
client is installed here):

  list the children of PATH; split each name at '_' (empty pieces dropped): the last piece
  must be an int32 sequence number (else the child is not a member, e.g. "registry"), the
  first, when there are two or more, is the label; the member with the lowest sequence
  leads, whatever its label; its data is a MasterInfo in JSON for the label "json.info".

Usage: mesos_detector.py HOST:PORT PATH [--members]
With --members, prints every member as [{"label", "sequence", "node"}, ...] instead.
Prints {"node": NAME, "info": MASTERINFO} for the leader and exits 0; exits 1 when there is
no leader (no member, or it vanished before it was read), 2 on a label it cannot read.
"""
import json
import socket
import struct
import sys

ZNONODE = -101
OP_GET_DATA, OP_GET_CHILDREN, OP_CLOSE = 4, 8, -11


class ZooKeeper:
    def __init__(self, hostport, timeout_ms=10000):
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.xid = 0
        # ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly
        self._send(struct.pack(">iqiqi", 0, 0, timeout_ms, 0, 16) + b"\0" * 16 + b"\0")
        self._recv()

    def _send(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def _read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("ZooKeeper closed the connection")
            buf += chunk
        return buf

    def _recv(self):
        (n,) = struct.unpack(">i", self._read_exact(4))
        return self._read_exact(n)

    @staticmethod
    def _string(s):
        b = s.encode()
        return struct.pack(">i", len(b)) + b

    def _call(self, op, body):
        self.xid += 1
        self._send(struct.pack(">ii", self.xid, op) + body)
        while True:
            reply = self._recv()
            xid, _zxid, err = struct.unpack(">iqi", reply[:16])
            if xid == self.xid:
                return err, reply[16:]
            # anything else (a ping's or a watch's xid) is not ours: skip it

    def get_children(self, path):
        err, rest = self._call(OP_GET_CHILDREN, self._string(path) + b"\0")
        if err:
            return err, None
        (count,) = struct.unpack(">i", rest[:4])
        off, names = 4, []
        for _ in range(count):
            (n,) = struct.unpack(">i", rest[off:off + 4])
            names.append(rest[off + 4:off + 4 + n].decode())
            off += 4 + n
        return 0, names

    def get_data(self, path):
        err, rest = self._call(OP_GET_DATA, self._string(path) + b"\0")
        if err:
            return err, None
        (n,) = struct.unpack(">i", rest[:4])
        return 0, (rest[4:4 + n] if n >= 0 else b"")

    def close(self):
        try:
            self._call(OP_CLOSE, b"")
        except (OSError, ConnectionError, struct.error):
            pass
        self.sock.close()


def membership(name):
    """(label, sequence) as Mesos's group reads a child's name, or None."""
    tokens = [t for t in name.split("_") if t]
    if not tokens:
        return None
    last = tokens[-1]
    digits = last[1:] if last[:1] in "+-" else last
    if not digits.isdigit():
        return None
    seq = int(last, 10)
    if not -2**31 <= seq < 2**31:
        return None
    return (tokens[0] if len(tokens) > 1 else None, seq)


def detect(hostport, path):
    zk = ZooKeeper(hostport)
    try:
        err, children = zk.get_children(path)
        if err:
            return 1, None
        members = [(membership(c), c) for c in children]
        members = [(m[1], m[0], c) for m, c in members if m]
        if not members:
            return 1, None
        _seq, label, node = min(members)
        err, data = zk.get_data(path + "/" + node)
        if err == ZNONODE or err:
            return 1, None
        if label != "json.info":
            return 2, {"node": node, "label": label}
        return 0, {"node": node, "info": json.loads(data)}
    finally:
        zk.close()


def list_members(hostport, path):
    zk = ZooKeeper(hostport)
    try:
        err, children = zk.get_children(path)
    finally:
        zk.close()
    out = []
    for c in children or []:
        m = membership(c)
        if m:
            out.append({"label": m[0], "sequence": m[1], "node": c})
    return out


def main():
    if sys.argv[3:] == ["--members"]:
        print(json.dumps(list_members(sys.argv[1], sys.argv[2])))
        return 0
    rc, out = detect(sys.argv[1], sys.argv[2])
    if out is not None:
        print(json.dumps(out))
    return rc


if __name__ == "__main__":
    sys.exit(main())
