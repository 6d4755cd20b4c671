#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Mesos executor speaking protobuf: the classes protoc generates from Apache Mesos's own
.proto files (tests/mesos-proto; their folder on PYTHONPATH), Content-Type and Accept
application/x-protobuf, RecordIO records of mesos.v1.executor.Event. Nothing of Drover's.

As python_executor.py: it SUBSCRIBEs, reports each LAUNCHed task TASK_RUNNING, answers a
framework MESSAGE with one of its own ("got: " and the data), reports a KILLed task
TASK_KILLED and on SHUTDOWN its tasks TASK_KILLED, then exits 0. Every event must parse
with every required field set and no field outside Mesos's schema, else it exits 1.
What it saw goes to $MESOS_SANDBOX/executor-events.txt (one event a line, text format).
"""
import http.client
import os
import sys
import time
import uuid

from google.protobuf import text_format
from mesos.v1 import mesos_pb2
from mesos.v1.executor import executor_pb2

ENV = os.environ
AGENT = ENV["MESOS_AGENT_ENDPOINT"]
PB = "application/x-protobuf"
HEADERS = {"Content-Type": PB, "Accept": PB}
if ENV.get("MESOS_EXECUTOR_AUTHENTICATION_TOKEN"):
    HEADERS["Authorization"] = "Bearer " + ENV["MESOS_EXECUTOR_AUTHENTICATION_TOKEN"]
SANDBOX = ENV.get("MESOS_SANDBOX", ".")
log = open(os.path.join(SANDBOX, "executor-events.txt"), "a")
tasks = {}


def new_call(type_):
    c = executor_pb2.Call(type=executor_pb2.Call.Type.Value(type_))
    c.framework_id.value = ENV["MESOS_FRAMEWORK_ID"]
    c.executor_id.value = ENV["MESOS_EXECUTOR_ID"]
    return c


def post(c, timeout=10):
    conn = http.client.HTTPConnection(AGENT, timeout=timeout)
    conn.request("POST", "/api/v1/executor", c.SerializeToString(), HEADERS)
    return conn.getresponse()


def call(c):
    r = post(c)
    r.read()
    log.write("call %s: %d\n" % (executor_pb2.Call.Type.Name(c.type), r.status))
    log.flush()
    return r.status


def update(task_id, state, message=None):
    c = new_call("UPDATE")
    st = c.update.status
    st.task_id.value = task_id
    st.state = mesos_pb2.TaskState.Value(state)
    st.source = mesos_pb2.TaskStatus.SOURCE_EXECUTOR
    st.executor_id.value = ENV["MESOS_EXECUTOR_ID"]
    st.timestamp = time.time()
    st.uuid = uuid.uuid4().bytes
    if message:
        st.message = message
    return call(c)


def unknown_fields(msg):
    found = list(msg.UnknownFields())
    for fd, value in msg.ListFields():
        if fd.type == fd.TYPE_MESSAGE and not fd.message_type.GetOptions().map_entry:
            for sub in value if fd.label == fd.LABEL_REPEATED else [value]:
                found += unknown_fields(sub)
    return found


def events(resp):
    buf = b""
    while True:
        try:
            chunk = resp.read1(65536)
        except (OSError, http.client.HTTPException):
            return
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            head, rest = buf.split(b"\n", 1)
            n = int(head)
            if len(rest) < n:
                break
            ev = executor_pb2.Event()
            ev.ParseFromString(rest[:n])
            if not ev.IsInitialized() or unknown_fields(ev):
                print("event outside Mesos's schema: %s" % ev, file=sys.stderr)
                sys.exit(1)
            yield ev
            buf = rest[n:]


def main():
    resp = post(new_call("SUBSCRIBE"), timeout=3600)
    if resp.status != 200 or resp.getheader("Content-Type") != PB:
        print("SUBSCRIBE: %d %s %s" % (resp.status, resp.getheader("Content-Type"),
                                       resp.read()), file=sys.stderr)
        return 1
    E = executor_pb2.Event
    for ev in events(resp):
        log.write(text_format.MessageToString(ev, as_one_line=True) + "\n")
        log.flush()
        if ev.type == E.SUBSCRIBED:
            assert ev.subscribed.executor_info.executor_id.value == ENV["MESOS_EXECUTOR_ID"]
        elif ev.type == E.LAUNCH:
            tasks[ev.launch.task.task_id.value] = ev.launch.task
            update(ev.launch.task.task_id.value, "TASK_RUNNING")
        elif ev.type == E.MESSAGE:
            c = new_call("MESSAGE")
            c.message.data = b"got: " + ev.message.data
            call(c)
        elif ev.type == E.KILL:
            update(ev.kill.task_id.value, "TASK_KILLED")
            tasks.pop(ev.kill.task_id.value, None)
        elif ev.type == E.SHUTDOWN:
            for tid in list(tasks):
                update(tid, "TASK_KILLED", "executor shut down")
            return 0
        elif ev.type == E.ERROR:
            print("ERROR event: %s" % ev, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
