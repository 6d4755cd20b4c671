#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A third-party Mesos executor, written from Mesos's executor HTTP API documentation alone
(JSON, RecordIO), in Python 3 with the standard library only; nothing of Drover's is used.

It reads its configuration from the MESOS_* environment, SUBSCRIBEs to the agent, reports
each LAUNCHed task (and each task of a LAUNCH_GROUP) TASK_RUNNING, answers a framework MESSAGE with one of its own ("got: "
and the data), reports a KILLed task TASK_KILLED, and on SHUTDOWN reports its tasks
TASK_KILLED and exits 0. With MESOS_CHECKPOINT=1 it subscribes again when the agent
restarts. It writes its environment to $MESOS_SANDBOX/executor-env.json and
what it saw to $MESOS_SANDBOX/executor-events.jsonl.
"""
import base64
import http.client
import json
import os
import sys
import time
import uuid

ENV = os.environ
AGENT = ENV["MESOS_AGENT_ENDPOINT"]
FRAMEWORK_ID = {"value": ENV["MESOS_FRAMEWORK_ID"]}
EXECUTOR_ID = {"value": ENV["MESOS_EXECUTOR_ID"]}
SANDBOX = ENV.get("MESOS_SANDBOX", ".")
TOKEN = ENV.get("MESOS_EXECUTOR_AUTHENTICATION_TOKEN")
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
if TOKEN:
    HEADERS["Authorization"] = "Bearer " + TOKEN

tasks = {}
log = open(os.path.join(SANDBOX, "executor-events.jsonl"), "a")


def call(type_, key=None, payload=None):
    body = {"type": type_, "framework_id": FRAMEWORK_ID, "executor_id": EXECUTOR_ID}
    if key:
        body[key] = payload
    c = http.client.HTTPConnection(AGENT, timeout=10)
    c.request("POST", "/api/v1/executor", json.dumps(body), HEADERS)
    r = c.getresponse()
    r.read()
    c.close()
    log.write(json.dumps({"call": type_, "status": r.status}) + "\n")
    log.flush()
    return r.status


def update(task_id, state, message=None):
    status = {"task_id": task_id, "state": state, "source": "SOURCE_EXECUTOR",
              "executor_id": EXECUTOR_ID, "timestamp": time.time(),
              "uuid": base64.b64encode(uuid.uuid4().bytes).decode()}
    if message:
        status["message"] = message
    return call("UPDATE", "update", {"status": status})


def events(resp):
    """The RecordIO records of the stream: '<length>\\n<JSON>' repeated."""
    buf = b""
    while True:
        try:
            chunk = resp.read1(65536)
        except (OSError, http.client.HTTPException):
            return  # the agent went away
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            head, rest = buf.split(b"\n", 1)
            n = int(head)
            if len(rest) < n:
                break
            yield json.loads(rest[:n])
            buf = rest[n:]


def subscribe():
    """The event stream; with MESOS_CHECKPOINT=1 an agent that restarts is waited for (as
    the docs ask: retry within MESOS_RECOVERY_TIMEOUT), else None."""
    body = {"type": "SUBSCRIBE", "framework_id": FRAMEWORK_ID, "executor_id": EXECUTOR_ID,
            "subscribe": {"unacknowledged_tasks": list(tasks.values()),
                          "unacknowledged_updates": []}}
    end = time.time() + (15 if ENV.get("MESOS_CHECKPOINT") == "1" else 0)
    while True:
        try:
            c = http.client.HTTPConnection(AGENT, timeout=3600)
            c.request("POST", "/api/v1/executor", json.dumps(body), HEADERS)
            resp = c.getresponse()
            if resp.status == 200:
                return resp
            print("SUBSCRIBE: %d %s" % (resp.status, resp.read()), file=sys.stderr)
        except OSError as e:
            print("SUBSCRIBE: %s" % e, file=sys.stderr)
        if time.time() > end:
            return None
        time.sleep(0.2)


def main():
    with open(os.path.join(SANDBOX, "executor-env.json"), "w") as f:
        json.dump({k: v for k, v in ENV.items() if k.startswith("MESOS_")}, f)
    while True:
        resp = subscribe()
        if resp is None:
            return 1
        r = run(resp)
        if r is not None:
            return r
        if ENV.get("MESOS_CHECKPOINT") != "1":
            return 0


def run(resp):
    """Handle the events of one subscription: an exit status, or None when it ended."""
    for ev in events(resp):
        log.write(json.dumps(ev) + "\n")
        log.flush()
        t = ev.get("type")
        if t == "LAUNCH":
            task = ev["launch"]["task"]
            tasks[task["task_id"]["value"]] = task
            update(task["task_id"], "TASK_RUNNING")
        elif t == "LAUNCH_GROUP":
            for task in ev["launch_group"]["task_group"]["tasks"]:
                tasks[task["task_id"]["value"]] = task
                update(task["task_id"], "TASK_RUNNING")
        elif t == "MESSAGE":
            data = base64.b64decode(ev["message"]["data"])
            call("MESSAGE", "message", {"data": base64.b64encode(b"got: " + data).decode()})
        elif t == "KILL":
            tid = ev["kill"]["task_id"]
            update(tid, "TASK_KILLED")
            tasks.pop(tid["value"], None)
        elif t == "SHUTDOWN":
            for tid in list(tasks):
                update({"value": tid}, "TASK_KILLED", "executor shut down")
            return 0
        elif t == "ERROR":
            print("ERROR event: %s" % ev, file=sys.stderr)
            return 1
    return None


if __name__ == "__main__":
    sys.exit(main())
