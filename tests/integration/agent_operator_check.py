# SPDX-License-Identifier: Apache-2.0
"""Every agent operator call Drover answers, in both codecs, read by Mesos's own schema
(classes protoc generates from Apache Mesos's .proto files, tests/mesos-proto):

  - protobuf: 200, Content-Type application/x-protobuf, a mesos.v1.agent.Response of the
    call's type with every required field set and no field outside Mesos's schema but
    Drover's documented TaskStatus.drover (field 1000, in a Task's statuses);
  - JSON: 200, application/json, the same Response once Drover's documented extension
    members are taken out (docs/api.md "The agent's own API"), parsed with unknown fields
    rejected; equal to the protobuf answer but for the figures that move between two
    calls (ResourceStatistics, metric values, Drover's usage).

    agent_operator_check.py HOST:PORT PYDIR FRAMEWORK_ID TASK_ID [CALL...]
Prints one line per call and "OK" at the end; exits non-zero at the first failure.
"""
import http.client
import json
import sys

host, port = sys.argv[1].rsplit(":", 1)
sys.path.insert(0, sys.argv[2])
FID, TID = sys.argv[3], sys.argv[4]
from google.protobuf import json_format  # noqa: E402
from mesos.v1.agent import agent_pb2  # noqa: E402

PB, JS = "application/x-protobuf", "application/json"
CALLS = sys.argv[5:] or [
    "GET_HEALTH", "GET_FLAGS", "GET_VERSION", "GET_METRICS", "GET_LOGGING_LEVEL",
    "GET_STATE", "GET_CONTAINERS", "GET_FRAMEWORKS", "GET_EXECUTORS", "GET_TASKS",
    "GET_AGENT", "LIST_FILES", "READ_FILE"]
SANDBOX = "/frameworks/%s/executors/%s/runs/latest" % (FID, TID)
ARGS = {"LIST_FILES": {"list_files": {"path": SANDBOX}},
        "READ_FILE": {"read_file": {"path": SANDBOX + "/stdout", "offset": 0}}}
# Drover's members beside Mesos's (JSON only), by where they are
STATE_EXT = ("agent_id", "hostname", "master", "subscribed", "total_resources",
             "allocated_resources", "free_resources", "enforcement", "cgroup_root", "tasks")
CONTAINER_EXT = ("task_id", "state", "resources", "sandbox", "usage", "isolation", "pid")
TASK_LISTS = ("pending_tasks", "queued_tasks", "launched_tasks", "terminated_tasks",
              "completed_tasks")


def post(body, ct, accept):
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.request("POST", "/api/v1", body=body, headers={"Content-Type": ct, "Accept": accept})
    r = c.getresponse()
    return r.status, r.getheader("Content-Type"), r.read()


def unknown_fields(msg, path):
    found = ["%s#%d" % (path, f.field_number) for f in msg.UnknownFields()
             if not (f.field_number == 1000 and msg.DESCRIPTOR.full_name == "mesos.v1.TaskStatus")]
    for fd, value in msg.ListFields():
        if fd.type != fd.TYPE_MESSAGE or fd.message_type.GetOptions().map_entry:
            continue
        for i, sub in enumerate(value if fd.label == fd.LABEL_REPEATED else [value]):
            found += unknown_fields(sub, "%s.%s[%d]" % (path, fd.name, i))
    return found


def strip_extensions(obj):
    st = obj.get("get_state")
    if st:
        for k in STATE_EXT:
            st.pop(k, None)
    for c in obj.get("get_containers", {}).get("containers", []):
        for k in CONTAINER_EXT:
            c.pop(k, None)
    for tasks in (obj.get("get_tasks"), (st or {}).get("get_tasks")):
        for k in TASK_LISTS:
            for task in (tasks or {}).get(k, []):
                for s in task.get("statuses", []):
                    s.pop("drover", None)


def steady(resp):
    """resp without what moves between two calls (and TaskStatus.drover, the JSON's is out)."""
    resp.DiscardUnknownFields()
    for c in resp.get_containers.containers:
        c.ClearField("resource_statistics")
    for m in resp.get_metrics.metrics:
        m.ClearField("value")
    return resp


def fail(t, why):
    print("FAIL %s: %s" % (t, why))
    sys.exit(1)


for t in CALLS:
    call = {"type": t}
    call.update(ARGS.get(t, {}))
    pbcall = json_format.ParseDict(call, agent_pb2.Call())
    st, ct, body = post(pbcall.SerializeToString(), PB, PB)
    if st != 200 or ct != PB:
        fail(t, "protobuf: %s %s %r" % (st, ct, body[:300]))
    pb = agent_pb2.Response()
    pb.ParseFromString(body)
    if not pb.IsInitialized():
        fail(t, "protobuf: required fields missing: %s" % pb.FindInitializationErrors())
    unk = unknown_fields(pb, "Response")
    if unk:
        fail(t, "protobuf: fields outside Mesos's schema: %s" % unk)
    if pb.type != agent_pb2.Response.Type.Value(t):
        fail(t, "protobuf: type %s" % pb.type)
    st, ct, body = post(json.dumps(call).encode(), JS, JS)
    if st != 200 or ct != JS:
        fail(t, "JSON: %s %s %r" % (st, ct, body[:300]))
    obj = json.loads(body)
    strip_extensions(obj)
    js = agent_pb2.Response()
    try:
        json_format.ParseDict(obj, js, ignore_unknown_fields=False)
    except json_format.ParseError as e:
        fail(t, "JSON outside Mesos's schema: %s" % e)
    if not js.IsInitialized():
        fail(t, "JSON: required fields missing: %s" % js.FindInitializationErrors())
    if steady(js) != steady(pb):
        fail(t, "JSON and protobuf differ:\n%s\n----\n%s" % (js, pb))
    print("%s: %d bytes of protobuf, %d of JSON" % (t, pb.ByteSize(), len(body)))
print("OK")
