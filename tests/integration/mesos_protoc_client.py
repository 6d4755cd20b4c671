# SPDX-License-Identifier: Apache-2.0
"""A Mesos v1 scheduler as a third party writes one from Mesos's own .proto files: the
Python 3 standard library and the classes `protoc --python_out` generates from the
unmodified Mesos schema (tests/mesos-proto). It subscribes, accepts one offer, launches a
task, acknowledges every update until TASK_FINISHED, and checks the fields Mesos always
sets on what it receives.

    mesos_protoc_client.py HOST:PORT json|protobuf PYDIR

PYDIR holds the generated *_pb2 modules. Exit 0 and "OK" on success; otherwise a line
saying what went wrong.
"""
import http.client
import json
import sys
import time

MASTER, CODEC, PYDIR = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, PYDIR)

from google.protobuf import json_format  # noqa: E402
from mesos.v1 import mesos_pb2  # noqa: E402
from mesos.v1.scheduler import scheduler_pb2  # noqa: E402

MEDIA = {"json": "application/json", "protobuf": "application/x-protobuf"}[CODEC]
host, port = MASTER.rsplit(":", 1)


def die(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def encode(call):
    if CODEC == "protobuf":
        return call.SerializeToString()
    # json_format writes int64 as strings and bytes as base64: Mesos's JSON reads both
    return json_format.MessageToJson(call, preserving_proto_field_name=True).encode()


def strip_extensions(obj):
    """Drover's documented extensions out: TaskStatus.drover, FrameworkInfo.tier."""
    if isinstance(obj, dict):
        obj.pop("drover", None)
        obj.pop("tier", None)
        for v in obj.values():
            strip_extensions(v)
    elif isinstance(obj, list):
        for v in obj:
            strip_extensions(v)


def decode_event(data):
    """The event as a Mesos client reads it, then checked strictly: once Drover's
    extensions are out, every field is one of Mesos's schema, and every required field
    is set (what Mesos always sets)."""
    ev = scheduler_pb2.Event()
    if CODEC == "protobuf":
        ev.ParseFromString(data)
        unknown = unknown_fields(ev)
        if unknown:
            die("event %s carries fields outside Mesos's schema: %s" %
                (scheduler_pb2.Event.Type.Name(ev.type), unknown))
    else:
        obj = json.loads(data)
        strip_extensions(obj)
        try:
            json_format.ParseDict(obj, ev, ignore_unknown_fields=False)
        except json_format.ParseError as e:
            die("event outside Mesos's schema: %s: %s" % (e, data[:300]))
    if not ev.IsInitialized():
        die("event %s lacks required fields: %s" % (scheduler_pb2.Event.Type.Name(ev.type),
                                                    ev.FindInitializationErrors()))
    return ev


def unknown_fields(msg, path=""):
    """Fields of msg (and of the messages in it) outside Mesos's schema, but for Drover's
    documented extensions (TaskStatus.drover = 1000, FrameworkInfo.tier = 1000)."""
    found = []
    name = msg.DESCRIPTOR.full_name
    for f in msg.UnknownFields():
        if f.field_number == 1000 and name in ("mesos.v1.TaskStatus", "mesos.v1.FrameworkInfo"):
            continue
        found.append("%s#%d" % (path or name, f.field_number))
    for fd, value in msg.ListFields():
        if fd.type != fd.TYPE_MESSAGE:
            continue
        if fd.message_type.GetOptions().map_entry:
            value = list(value.values())
            if value and not hasattr(value[0], "UnknownFields"):
                continue
        elif fd.label != fd.LABEL_REPEATED:
            value = [value]
        for i, sub in enumerate(value):
            found += unknown_fields(sub, "%s.%s[%d]" % (path or name, fd.name, i))
    return found


def post(call, stream_id):
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("POST", "/api/v1/scheduler", body=encode(call),
                 headers={"Content-Type": MEDIA, "Accept": MEDIA,
                          "Mesos-Stream-Id": stream_id})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    if resp.status != 202:
        die("%s answered %d: %r" % (scheduler_pb2.Call.Type.Name(call.type), resp.status,
                                    body[:300]))


def active_tasks():
    """The IDs of the tasks the master holds (operator GET_TASKS, JSON)."""
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("POST", "/api/v1", body=b'{"type":"GET_TASKS"}',
                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    if resp.status != 200:
        die("GET_TASKS answered %d" % resp.status)
    tasks = json.loads(body).get("get_tasks", {}).get("tasks", [])
    return [t["task_id"]["value"] for t in tasks]


def records(resp):
    """RecordIO: '<length>\\n<bytes>' repeated."""
    while True:
        line = resp.readline()
        if not line:
            return
        n = int(line.strip())
        data = b""
        while len(data) < n:
            chunk = resp.read(n - len(data))
            if not chunk:
                die("stream cut inside a record")
            data += chunk
        yield data


def main():
    sub = scheduler_pb2.Call()
    sub.type = scheduler_pb2.Call.SUBSCRIBE
    fi = sub.subscribe.framework_info
    fi.user = "nobody"
    fi.name = "mesos-protoc-client-" + CODEC
    fi.failover_timeout = 0
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", "/api/v1/scheduler", body=encode(sub),
                 headers={"Content-Type": MEDIA, "Accept": MEDIA})
    resp = conn.getresponse()
    if resp.status != 200:
        die("SUBSCRIBE answered %d: %r" % (resp.status, resp.read()[:300]))
    if resp.getheader("Content-Type") != MEDIA:
        die("stream Content-Type %r" % resp.getheader("Content-Type"))
    stream_id = resp.getheader("Mesos-Stream-Id")
    if not stream_id:
        die("no Mesos-Stream-Id")
    fw_id = None
    task_id = "protoc-" + CODEC
    launched = False
    deadline = time.time() + 60
    for data in records(resp):
        if time.time() > deadline:
            die("no TASK_FINISHED within 60 s")
        ev = decode_event(data)
        if ev.type == scheduler_pb2.Event.SUBSCRIBED:
            s = ev.subscribed
            fw_id = s.framework_id.value
            mi = s.master_info
            if not (mi.id and mi.ip and mi.port and mi.address.ip and mi.address.port
                    and mi.hostname and mi.pid.startswith("master@")):
                die("master_info incomplete: %s" % mi)
            if s.heartbeat_interval_seconds != 15:
                die("heartbeat_interval_seconds %r" % s.heartbeat_interval_seconds)
            print("subscribed as %s; master %s at %s:%d" % (fw_id, mi.id, mi.address.ip,
                                                         mi.address.port), flush=True)
        elif ev.type == scheduler_pb2.Event.OFFERS and not launched:
            offer = ev.offers.offers[0]
            if offer.framework_id.value != fw_id or not offer.hostname:
                die("offer fields: %s" % offer)
            if offer.url.scheme != "http" or not offer.url.address.port:
                die("offer.url: %s" % offer.url)
            acc = scheduler_pb2.Call()
            acc.type = scheduler_pb2.Call.ACCEPT
            acc.framework_id.value = fw_id
            acc.accept.offer_ids.add().CopyFrom(offer.id)
            op = acc.accept.operations.add()
            op.type = mesos_pb2.Offer.Operation.LAUNCH
            ti = op.launch.task_infos.add()
            ti.name = task_id
            ti.task_id.value = task_id
            ti.agent_id.CopyFrom(offer.agent_id)
            ti.command.value = "echo hello from a protoc client"
            for name, amount in (("cpus", 0.1), ("mem", 32.0)):
                r = ti.resources.add()
                r.name = name
                r.type = mesos_pb2.Value.SCALAR
                r.scalar.value = amount
                if offer.resources and offer.resources[0].HasField("allocation_info"):
                    r.allocation_info.CopyFrom(offer.resources[0].allocation_info)
            acc.accept.filters.refuse_seconds = 1
            post(acc, stream_id)
            launched = True
            print("accepted offer %s" % offer.id.value, flush=True)
        elif ev.type == scheduler_pb2.Event.UPDATE:
            st = ev.update.status
            state = mesos_pb2.TaskState.Name(st.state)
            print("update %s %s uuid=%d bytes" % (st.task_id.value, state, len(st.uuid)),
                  flush=True)
            if st.uuid:
                if len(st.uuid) != 16:
                    die("status uuid of %d bytes" % len(st.uuid))
                ack = scheduler_pb2.Call()
                ack.type = scheduler_pb2.Call.ACKNOWLEDGE
                ack.framework_id.value = fw_id
                ack.acknowledge.agent_id.CopyFrom(st.agent_id)
                ack.acknowledge.task_id.CopyFrom(st.task_id)
                ack.acknowledge.uuid = st.uuid
                post(ack, stream_id)
            if state in ("TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED",
                         "TASK_KILLED"):
                die("task ended %s: %s" % (state, st.message))
            if state == "TASK_FINISHED":
                # the acknowledgement matched the update's bytes: the master lets the
                # task go (an unmatched one is answered 202 too, and changes nothing)
                for _ in range(100):
                    if task_id not in active_tasks():
                        break
                    time.sleep(0.1)
                else:
                    die("task still active after its TASK_FINISHED was acknowledged")
                print("acknowledged: the master holds no %s" % task_id, flush=True)
                td = scheduler_pb2.Call()
                td.type = scheduler_pb2.Call.TEARDOWN
                td.framework_id.value = fw_id
                post(td, stream_id)
                print("OK", flush=True)
                return
        elif ev.type == scheduler_pb2.Event.ERROR:
            die("ERROR event: %s" % ev.error.message)
    die("the stream ended before TASK_FINISHED")


main()
