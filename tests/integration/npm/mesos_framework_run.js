// SPDX-License-Identifier: Apache-2.0
// Drives the unmodified npm library mesos-framework (tobilg) against Drover: the leading
// master is found through ZooKeeper with node-zookeeper-client (the library's own
// dependency) by Mesos's detector rule, then the library's Scheduler subscribes there, runs
// one command task and acknowledges its updates. Prints "RESULT <json>" lines for the test
// (test_mesos_npm_client.sh); exits 0 once TASK_FINISHED is acknowledged (202).
// Usage: node mesos_framework_run.js ZK_HOSTS ZK_PATH [MASTER_HOST:PORT to use instead]
"use strict";
const zookeeper = require("node-zookeeper-client");
const Scheduler = require("mesos-framework").Scheduler;
const Mesos = require("mesos-framework").Mesos.getMesos();

const [zkHosts, zkPath, override] = process.argv.slice(2);
const result = (o) => console.log("RESULT " + JSON.stringify(o));

// Mesos's rule: last '_' piece an int32 sequence; lowest leads; label json.info is JSON
function detect(cb) {
	const zk = zookeeper.createClient(zkHosts);
	zk.once("connected", () => {
		zk.getChildren(zkPath, (err, children) => {
			if (err)
				return cb(err);
			let best = null;
			for (const c of children) {
				const toks = c.split("_").filter((t) => t.length);
				const last = toks[toks.length - 1];
				if (!/^[+-]?\d+$/.test(last))
					continue;
				const seq = parseInt(last, 10);
				if (seq < -2147483648 || seq > 2147483647)
					continue;
				if (!best || seq < best.seq)
					best = { seq, label: toks.length > 1 ? toks[0] : null, node: c };
			}
			if (!best)
				return cb(new Error("no member"));
			if (best.label !== "json.info")
				return cb(new Error("leader's label is " + best.label));
			zk.getData(zkPath + "/" + best.node, (err2, data) => {
				zk.close();
				if (err2)
					return cb(err2);
				cb(null, best.node, JSON.parse(data.toString()));
			});
		});
	});
	zk.connect();
}

function run(host, port) {
	const updates = [];
	let acks = 0, finishedAt = -1;
	const scheduler = new Scheduler({
		masterUrl: host,
		port: port,
		frameworkName: "drover-npm-client-test",
		user: "nobody",
		masterConnectionTimeout: 30,
		restartStates: [],
		tasks: {
			hello: {
				priority: 1,
				instances: 1,
				commandInfo: new Mesos.CommandInfo(null, null, true, "echo hello-from-npm", null, null),
				resources: { cpus: 0.1, mem: 32, ports: 0, disk: 0 },
			},
		},
	});
	const done = (code, why) => {
		result({ event: "exit", code, why, updates, acks });
		try {
			scheduler.teardown();
		} catch (e) {
			// exiting anyway
		}
		setTimeout(() => process.exit(code), 500);
	};
	scheduler.on("ready", () => scheduler.subscribe());
	scheduler.on("subscribed", (o) => result({ event: "subscribed", frameworkId: o.frameworkId }));
	scheduler.on("offers", (o) => result({ event: "offers", n: (o.offers || []).length }));
	scheduler.on("sent_accept", () => result({ event: "accepted" }));
	scheduler.on("update", (u) => {
		updates.push({ state: u.status.state, uuid: u.status.uuid || null });
		result({ event: "update", state: u.status.state, uuid: u.status.uuid || null });
		if (u.status.state === "TASK_FINISHED")
			finishedAt = updates.length;
		else if (/TASK_(FAILED|ERROR|LOST|DROPPED|KILLED)/.test(u.status.state))
			done(2, "task ended " + u.status.state);
	});
	scheduler.on("sent_acknowledge", () => {
		acks++;
		result({ event: "acknowledged", n: acks });
		if (finishedAt > 0 && acks >= updates.filter((x) => x.uuid).length)
			done(0, "finished and acknowledged");
	});
	scheduler.on("error", (e) => {
		const msg = e && e.message ? e.message : e;
		result({ event: "error", error: msg });
		// the library would wait for ever: a refused SUBSCRIBE, an event it cannot handle
		if (/^Error registering with mesos|^Couldn't parse as JSON/.test(String(msg)))
			done(4, "stopped by an error");
	});
	setTimeout(() => done(1, "timeout"), 90000);
}

if (override) {
	const i = override.lastIndexOf(":");
	run(override.slice(0, i), parseInt(override.slice(i + 1), 10));
} else {
	detect((err, node, info) => {
		if (err) {
			result({ event: "detect-failed", error: String(err) });
			process.exit(3);
		}
		result({ event: "detected", node, info });
		const addr = info.address || {};
		run(addr.hostname || addr.ip || info.hostname, addr.port || info.port);
	});
}
