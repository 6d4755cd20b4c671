#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A small Mesos v1 scheduler for the integration tests (Python 3, standard library only).

It speaks the scheduler HTTP API as Mesos documents it (JSON, RecordIO), acknowledges every
update that carries a uuid, and runs one scenario; every event it receives is appended to
--events as one JSON line, and the scenario's findings are printed as one JSON object.

    mesos_framework.py --master HOST:PORT --events FILE SCENARIO [ARGS]

Scenarios:
    group        LAUNCH_GROUP of three tasks ("a" exits 1 after 1 s, "b" and "c" sleep):
                 prints {"final": {task: state}, "running": [...], "sandboxes": {...}}
    group-pause  LAUNCH_GROUP of two sleeping tasks; prints {"running": [...]} once both
                 run; with --kill T (once the file --go exists) KILLs T and prints the
                 final states, else keeps acknowledging until killed
    group-bad    LAUNCH_GROUP whose executor has too little memory: prints the updates
    executor     two tasks for a custom executor (--command: the executor's), a MESSAGE
                 to it, its MESSAGE back, SHUTDOWN, the FAILURE event
    executor-pause   one task for a custom executor; once it runs prints the framework ID,
                 waits for the file --go, then SHUTDOWN (or KILL of the task --kill) and
                 the FAILURE event
    executor-silent  one task for an executor that never subscribes: its states and FAILURE
    executor-group   LAUNCH_GROUP of two tasks to a custom executor (--command), SHUTDOWN
"""
import argparse
import base64
import http.client
import json
import os
import queue
import sys
import threading
import time


class Framework:
    def __init__(self, master, events_path, name="it", checkpoint=False):
        self.master = master
        self.events = queue.Queue()
        self.backlog = []
        self.log = open(events_path, "a")
        self.fid = None
        self.sid = None
        self.conn = http.client.HTTPConnection(master, timeout=60)
        body = {"type": "SUBSCRIBE",
                "subscribe": {"framework_info": {"name": name, "checkpoint": checkpoint,
                                                 "capabilities": [{"type": "PARTITION_AWARE"}, {"type": "TASK_KILLING_STATE"}]}}}
        self.conn.request("POST", "/api/v1/scheduler", json.dumps(body),
                          {"Content-Type": "application/json", "Accept": "application/json"})
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise SystemExit("SUBSCRIBE: %d %s" % (self.resp.status, self.resp.read()))
        self.sid = self.resp.getheader("Mesos-Stream-Id")
        threading.Thread(target=self._reader, daemon=True).start()
        ev = self.wait(lambda e: e["type"] == "SUBSCRIBED")
        self.fid = ev["subscribed"]["framework_id"]["value"]

    def _reader(self):
        buf = b""
        while True:
            chunk = self.resp.read1(65536)
            if not chunk:
                self.events.put(None)
                return
            buf += chunk
            while b"\n" in buf:
                head, rest = buf.split(b"\n", 1)
                n = int(head)
                if len(rest) < n:
                    break
                ev = json.loads(rest[:n])
                buf = rest[n:]
                self.log.write(json.dumps(ev) + "\n")
                self.log.flush()
                if ev.get("type") == "UPDATE" and ev["update"]["status"].get("uuid"):
                    st = ev["update"]["status"]
                    self.call("ACKNOWLEDGE", {"agent_id": st["agent_id"],
                                              "task_id": st["task_id"], "uuid": st["uuid"]})
                self.events.put(ev)

    def call(self, type_, payload=None):
        body = {"type": type_, "framework_id": {"value": self.fid}}
        if payload is not None:
            body[type_.lower()] = payload
        c = http.client.HTTPConnection(self.master, timeout=10)
        c.request("POST", "/api/v1/scheduler", json.dumps(body),
                  {"Content-Type": "application/json", "Mesos-Stream-Id": self.sid})
        r = c.getresponse()
        text = r.read()
        c.close()
        return r.status, text

    def wait(self, pred, timeout=30):
        """The first event, in order, that pred accepts; the others are kept for later."""
        for i, ev in enumerate(self.backlog):
            if pred(ev):
                return self.backlog.pop(i)
        end = time.time() + timeout
        while time.time() < end:
            try:
                ev = self.events.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                break
            if ev is None:
                raise SystemExit("the stream ended")
            if pred(ev):
                return ev
            self.backlog.append(ev)
        raise SystemExit("timed out waiting")

    def offer(self):
        ev = self.wait(lambda e: e["type"] == "OFFERS")
        return ev["offers"]["offers"][0]


def res(cpus, mem):
    return [{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}}]


def task(name, agent_id, cmd, cpus=0.1, mem=32):
    return {"name": name, "task_id": {"value": name}, "agent_id": {"value": agent_id},
            "resources": res(cpus, mem), "command": {"value": cmd, "shell": True}}


def accept(fw, offer, ops):
    code, text = fw.call("ACCEPT", {"offer_ids": [offer["id"]], "operations": ops,
                                    "filters": {"refuse_seconds": 3600}})
    if code != 202:
        raise SystemExit("ACCEPT: %d %s" % (code, text))


def launch_group(executor_mem, tasks, agent_id, eid="group"):
    return {"type": "LAUNCH_GROUP",
            "launch_group": {"executor": {"type": "DEFAULT", "executor_id": {"value": eid},
                                          "resources": res(0.1, executor_mem)},
                             "task_group": {"tasks": tasks}}}


def collect_states(fw, names, timeout=30):
    """Every update of the named tasks until each is terminal: {task: [states]}."""
    seen = {n: [] for n in names}
    sandboxes = {}
    terminal = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR",
                "TASK_DROPPED", "TASK_GONE"}
    end = time.time() + timeout
    while any(not (s and s[-1] in terminal) for s in seen.values()):
        ev = fw.wait(lambda e: e["type"] == "UPDATE", max(0.1, end - time.time()))
        st = ev["update"]["status"]
        tid = st["task_id"]["value"]
        if tid in seen:
            seen[tid].append(st["state"])
            sb = st.get("drover", {}).get("sandbox")
            if sb:
                sandboxes[tid] = sb
    return seen, sandboxes


def scenario_group(fw, args):
    o = fw.offer()
    aid = o["agent_id"]["value"]
    ts = [task("a", aid, "sleep 1; exit 1"), task("b", aid, "sleep 100"),
          task("c", aid, "sleep 100")]
    accept(fw, o, [launch_group(32, ts, aid)])
    seen, sandboxes = collect_states(fw, ["a", "b", "c"])
    return {"final": {k: v[-1] for k, v in seen.items()},
            "running": sorted(k for k, v in seen.items() if "TASK_RUNNING" in v),
            "states": seen, "sandboxes": sandboxes}


def scenario_group_pause(fw, args):
    o = fw.offer()
    aid = o["agent_id"]["value"]
    accept(fw, o, [launch_group(32, [task("p", aid, "sleep 300"),
                                     task("q", aid, "sleep 300")], aid, "pause")])
    running = set()
    while running != {"p", "q"}:
        ev = fw.wait(lambda e: e["type"] == "UPDATE")
        st = ev["update"]["status"]
        if st["state"] == "TASK_RUNNING":
            running.add(st["task_id"]["value"])
    print(json.dumps({"running": sorted(running)}), flush=True)
    while args.go and not os.path.exists(args.go):
        time.sleep(0.05)
    if args.kill:
        fw.call("KILL", {"task_id": {"value": args.kill}, "agent_id": {"value": aid}})
        seen, _ = collect_states(fw, ["p", "q"])
        print(json.dumps({"final": {k: v[-1] for k, v in seen.items()}}), flush=True)
        return None
    while True:
        time.sleep(1)


def scenario_group_bad(fw, args):
    o = fw.offer()
    aid = o["agent_id"]["value"]
    accept(fw, o, [launch_group(8, [task("x", aid, "true")], aid, "small")])
    ev = fw.wait(lambda e: e["type"] == "UPDATE")
    st = ev["update"]["status"]
    return {"task": st["task_id"]["value"], "state": st["state"], "reason": st.get("reason")}


def scenario_executor(fw, args):
    o = fw.offer()
    aid = o["agent_id"]["value"]
    ex = {"type": "CUSTOM", "executor_id": {"value": args.exec_id}, "name": "python executor",
          "command": {"value": args.command, "shell": True}, "resources": res(0.1, 32)}
    ts = []
    for n in ("t1", "t2"):
        t = task(n, aid, "unused")
        del t["command"]
        t["executor"] = ex
        ts.append(t)
    accept(fw, o, [{"type": "LAUNCH", "launch": {"task_infos": ts}}])
    running = set()
    while running != {"t1", "t2"}:
        ev = fw.wait(lambda e: e["type"] == "UPDATE")
        st = ev["update"]["status"]
        if st["state"] == "TASK_RUNNING":
            running.add(st["task_id"]["value"])
    data = base64.b64encode(b"hello executor").decode()
    code, _ = fw.call("MESSAGE", {"agent_id": {"value": aid},
                                  "executor_id": {"value": args.exec_id}, "data": data})
    ev = fw.wait(lambda e: e["type"] == "MESSAGE")
    reply = base64.b64decode(ev["message"]["data"]).decode()
    code2, _ = fw.call("SHUTDOWN", {"agent_id": {"value": aid},
                                    "executor_id": {"value": args.exec_id}})
    fail = fw.wait(lambda e: e["type"] == "FAILURE")
    # its tasks' TASK_KILLED: the agent relays them and FAILURE apart, either may come first
    killed = set()
    while killed != {"t1", "t2"}:
        ev = fw.wait(lambda e: e["type"] == "UPDATE" and
                     e["update"]["status"]["state"] == "TASK_KILLED")
        killed.add(ev["update"]["status"]["task_id"]["value"])
    return {"running": sorted(running), "message_code": code, "reply": reply,
            "shutdown_code": code2, "failure": fail["failure"], "killed": sorted(killed)}


def launch_for_executor(fw, command, eid, names):
    o = fw.offer()
    aid = o["agent_id"]["value"]
    ex = {"type": "CUSTOM", "executor_id": {"value": eid}, "name": eid,
          "command": {"value": command, "shell": True}, "resources": res(0.1, 32)}
    ts = []
    for n in names:
        t = task(n, aid, "unused")
        del t["command"]
        t["executor"] = ex
        ts.append(t)
    accept(fw, o, [{"type": "LAUNCH", "launch": {"task_infos": ts}}])
    return aid


def scenario_executor_pause(fw, args):
    aid = launch_for_executor(fw, args.command, args.eid, ["u1"])
    fw.wait(lambda e: e["type"] == "UPDATE" and e["update"]["status"]["state"] == "TASK_RUNNING")
    print(json.dumps({"running": ["u1"], "framework_id": fw.fid}), flush=True)
    while args.go and not os.path.exists(args.go):
        time.sleep(0.05)
    if args.kill:  # its only task killed: the agent shuts the idle executor down
        fw.call("KILL", {"task_id": {"value": args.kill}, "agent_id": {"value": aid}})
    else:
        fw.call("SHUTDOWN", {"agent_id": {"value": aid}, "executor_id": {"value": args.eid}})
    fail = fw.wait(lambda e: e["type"] == "FAILURE")
    if not args.hold:
        return {"failure": fail["failure"]}
    print(json.dumps({"failure": fail["failure"]}), flush=True)
    while not os.path.exists(args.hold):  # still subscribed: the master's view can be read
        time.sleep(0.05)
    return None


def scenario_executor_group(fw, args):
    """LAUNCH_GROUP to a CUSTOM executor: both tasks run, SHUTDOWN, FAILURE."""
    o = fw.offer()
    aid = o["agent_id"]["value"]
    ex = {"type": "CUSTOM", "executor_id": {"value": "gexec"}, "name": "group executor",
          "command": {"value": args.command, "shell": True}, "resources": res(0.1, 32)}
    ts = [task(n, aid, "unused") for n in ("g1", "g2")]
    for t in ts:
        del t["command"]
    accept(fw, o, [{"type": "LAUNCH_GROUP",
                    "launch_group": {"executor": ex, "task_group": {"tasks": ts}}}])
    running = set()
    while running != {"g1", "g2"}:
        st = fw.wait(lambda e: e["type"] == "UPDATE")["update"]["status"]
        if st["state"] == "TASK_RUNNING":
            running.add(st["task_id"]["value"])
        elif st["state"] != "TASK_STARTING":
            return {"running": sorted(running), "unexpected": st}
    code, _ = fw.call("SHUTDOWN", {"agent_id": {"value": aid},
                                   "executor_id": {"value": "gexec"}})
    fail = fw.wait(lambda e: e["type"] == "FAILURE")
    return {"running": sorted(running), "shutdown_code": code, "failure": fail["failure"]}


def scenario_executor_silent(fw, args):
    launch_for_executor(fw, args.command, "silent", ["s1"])
    seen, _ = collect_states(fw, ["s1"], 60)
    fail = fw.wait(lambda e: e["type"] == "FAILURE", 30)
    return {"states": seen["s1"], "failure": fail["failure"]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--master", required=True)
    p.add_argument("--events", required=True)
    p.add_argument("--kill", default=None)
    p.add_argument("--command", default=None)
    p.add_argument("--checkpoint", action="store_true", help="FrameworkInfo.checkpoint")
    p.add_argument("--eid", default="pyexec2", help="executor-pause: the executor's ID")
    p.add_argument("--exec-id", default="pyexec", help="executor: the executor's ID")
    p.add_argument("--go", default=None, help="group-pause: kill once this file exists")
    p.add_argument("--hold", default=None,
                   help="executor-pause: after the FAILURE, stay subscribed until this file exists")
    p.add_argument("scenario")
    args = p.parse_args()
    fw = Framework(args.master, args.events, checkpoint=args.checkpoint)
    out = {"group": scenario_group, "group-pause": scenario_group_pause,
           "group-bad": scenario_group_bad, "executor": scenario_executor,
           "executor-pause": scenario_executor_pause,
           "executor-group": scenario_executor_group,
           "executor-silent": scenario_executor_silent}[args.scenario](fw, args)
    if out is not None:
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
