// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup v2 discovery and the agent's root: the parsers (mountinfo, /proc/cgroups,
 * cgroup.controllers, flat-keyed files), the controller report and the setup walk.
 * Layout and conventions: cgroup.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "util.h"

static const char *const ctrl_names[_AGENT_CTRL_MAX] = {
	[AGENT_CTRL_CPU] = "cpu",
	[AGENT_CTRL_MEMORY] = "memory",
	[AGENT_CTRL_PIDS] = "pids",
	[AGENT_CTRL_IO] = "io",
	[AGENT_CTRL_CPUSET] = "cpuset",
};

/* cgroup v1 calls io "blkio": that is the name /proc/cgroups and v1 mounts use. */
static const char *ctrl_v1_name(enum agent_ctrl c)
{
	return c == AGENT_CTRL_IO ? "blkio" : ctrl_names[c];
}

const char *agent_ctrl_name(enum agent_ctrl c)
{
	return c < _AGENT_CTRL_MAX ? ctrl_names[c] : "?";
}

int agent_ctrl_from_name(const char *name)
{
	for (int c = 0; c < _AGENT_CTRL_MAX; c++)
		if (streq(name, ctrl_names[c]))
			return c;
	return -ENOENT;
}

/* ---------------------------------------------------------------- parsers */

/* (the cgroupfs and /proc parsers the CLI shares live in lib/cgroupfs.c) */
static bool span_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

unsigned agent_ctrl_mask_parse(const char *text)
{
	unsigned mask = 0;
	const char *p = text;

	if (!text)
		return 0;
	while (*p) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		for (int c = 0; c < _AGENT_CTRL_MAX && n; c++)
			if (span_eq(p, n, ctrl_names[c]))
				mask |= AGENT_CTRL_BIT(c);
		p += n;
	}
	return mask;
}

/* ---------------------------------------------------------------- report */

int agent_ctrl_describe(const struct agent_cgroup_report *r, enum agent_ctrl c, char *buf,
			size_t len)
{
	const struct agent_ctrl_state *s;
	const char *name = agent_ctrl_name(c);
	int n;

	if (c >= _AGENT_CTRL_MAX)
		return -EINVAL;
	s = &r->ctrl[c];
	switch (s->why) {
	case AGENT_CTRL_AVAILABLE:
		n = snprintf(buf, len, "%s: available", name);
		break;
	case AGENT_CTRL_NOT_WANTED:
		n = snprintf(buf, len, "%s: not used", name);
		break;
	case AGENT_CTRL_NOT_IN_KERNEL:
		n = snprintf(buf, len, "%s: missing (not built into this kernel: absent from /proc/cgroups)",
			     name);
		break;
	case AGENT_CTRL_KERNEL_DISABLED:
		n = snprintf(buf, len, "%s: missing (disabled on the kernel command line, cgroup_disable=%s)",
			     name, ctrl_v1_name(c));
		break;
	case AGENT_CTRL_V1_BOUND:
		if (s->where[0])
			n = snprintf(buf, len, "%s: missing (bound to a cgroup v1 hierarchy at %s)",
				     name, s->where);
		else
			n = snprintf(buf, len, "%s: missing (bound to a cgroup v1 hierarchy)", name);
		break;
	case AGENT_CTRL_NOT_IN_PARENT:
		n = snprintf(buf, len, "%s: missing (not in cgroup.controllers of %s)", name,
			     s->where[0] ? s->where : "the parent");
		break;
	case AGENT_CTRL_ENABLE_FAILED:
		n = snprintf(buf, len, "%s: missing (cannot enable it in %s/cgroup.subtree_control: %s)",
			     name, s->where[0] ? s->where : "the parent", strerror(s->err));
		break;
	default:
		n = snprintf(buf, len, "%s: missing", name);
	}
	return n < 0 ? -EINVAL : n;
}

static int join_describe(const struct agent_cgroup_report *r, unsigned which, char *buf,
			 size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (int c = 0; c < _AGENT_CTRL_MAX; c++) {
		if (!(which & AGENT_CTRL_BIT(c)))
			continue;
		if (off && off + 2 < len) {
			memcpy(buf + off, "; ", 3);
			off += 2;
		}
		if (off < len) {
			int n = agent_ctrl_describe(r, c, buf + off, len - off);

			if (n < 0)
				return n;
			off += (size_t)n;
			if (off >= len)
				off = len ? len - 1 : 0;
		}
	}
	return (int)off;
}

int agent_cgroup_report_format(const struct agent_cgroup_report *r, char *buf, size_t len)
{
	unsigned which = 0;

	for (int c = 0; c < _AGENT_CTRL_MAX; c++)
		if (r->ctrl[c].why != AGENT_CTRL_NOT_WANTED)
			which |= AGENT_CTRL_BIT(c);
	return join_describe(r, which, buf, len);
}

int agent_cgroup_check_strict(const struct agent_cgroup_report *r, char *buf, size_t len)
{
	unsigned missing = AGENT_CTRL_REQUIRED & ~r->available;
	int n;

	if (!missing) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	n = snprintf(buf, len, "--enforce strict needs the cpu and memory controllers: ");
	if (n > 0 && (size_t)n < len)
		join_describe(r, missing, buf + n, len - (size_t)n);
	return -EOPNOTSUPP;
}

/* ---------------------------------------------------------------- setup */

static void set_why(struct agent_cgroup_report *rep, enum agent_ctrl c, enum agent_ctrl_why why,
		    int err, const char *where)
{
	rep->ctrl[c].why = why;
	rep->ctrl[c].err = err;
	snprintf(rep->ctrl[c].where, sizeof(rep->ctrl[c].where), "%s", where ? where : "");
}

/* Why is c not in cgroup.controllers at `where`? The kernel's word first, then the mount. */
static void explain_absent(struct agent_cgroup_report *rep, enum agent_ctrl c, const char *where,
			   const char *mountinfo, const char *proc_cgroups)
{
	unsigned hier;
	bool enabled;
	_cleanup_free_ char *v1 = NULL;
	int r;

	r = cgroupfs_proc_cgroups_lookup(proc_cgroups, ctrl_v1_name(c), &hier, &enabled);
	if (r == -ENOENT && proc_cgroups) {
		set_why(rep, c, AGENT_CTRL_NOT_IN_KERNEL, 0, NULL);
		return;
	}
	if (r == 0 && !enabled) {
		set_why(rep, c, AGENT_CTRL_KERNEL_DISABLED, 0, NULL);
		return;
	}
	if (cgroupfs_mountinfo_find_v1(mountinfo, ctrl_v1_name(c), &v1) == 0) {
		set_why(rep, c, AGENT_CTRL_V1_BOUND, 0, v1);
		return;
	}
	if (r == 0 && hier != 0) {
		set_why(rep, c, AGENT_CTRL_V1_BOUND, 0, NULL);
		return;
	}
	set_why(rep, c, AGENT_CTRL_NOT_IN_PARENT, 0, where);
}

/*
 * In the cgroup at dirfd (`where` names it for messages): enable every controller of
 * *want that is in its cgroup.controllers, one write each so one refusal does not block the
 * others; drop from *want, with the reason in rep, what cannot be enabled.
 */
static int enable_in(int dirfd, const char *where, unsigned *want, struct agent_cgroup_report *rep,
		     const char *mountinfo, const char *proc_cgroups)
{
	_cleanup_free_ char *ctl = NULL, *sub = NULL;
	unsigned have, on;
	int r;

	r = agent_read_fileat(dirfd, "cgroup.controllers", &ctl);
	if (r < 0)
		return r;
	r = agent_read_fileat(dirfd, "cgroup.subtree_control", &sub);
	if (r < 0)
		return r;
	have = agent_ctrl_mask_parse(ctl);
	on = agent_ctrl_mask_parse(sub);
	for (int c = 0; c < _AGENT_CTRL_MAX; c++) {
		char w[32];

		if (!(*want & AGENT_CTRL_BIT(c)) || (on & AGENT_CTRL_BIT(c)))
			continue;
		if (!(have & AGENT_CTRL_BIT(c))) {
			explain_absent(rep, c, where, mountinfo, proc_cgroups);
			*want &= ~AGENT_CTRL_BIT(c);
			continue;
		}
		snprintf(w, sizeof(w), "+%s", ctrl_names[c]);
		r = agent_write_fileat(dirfd, "cgroup.subtree_control", w);
		if (r < 0) {
			set_why(rep, c, AGENT_CTRL_ENABLE_FAILED, -r, where);
			*want &= ~AGENT_CTRL_BIT(c);
		}
	}
	return 0;
}

static int mkdir_open(int dirfd, const char *name, int *ret_fd)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* Put a message in err and return r (a -errno). */
_printf_(4, 5) static int fail(int r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static bool root_rel_valid(const char *root)
{
	const char *p = root;

	if (!root || !*root || *root == '/' || strlen(root) >= 4096)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return p[-1] != '/';
}

int agent_cgroup_setup(int mount_fd_, const char *mount_path, const char *root_rel,
		       unsigned wanted, pid_t pid, const char *mountinfo,
		       const char *proc_cgroups, struct agent_cgroup *ret, char *err,
		       size_t errlen)
{
	_cleanup_close_ int mount_fd = mount_fd_, dir = -1, agent = -1, sv = -1, tasks = -1;
	_cleanup_free_ char *mnt = NULL, *root = NULL, *path = NULL, *where = NULL;
	struct agent_cgroup_report rep = {0};
	unsigned want = wanted;
	char *comp, *save = NULL;
	size_t wlen;
	int r;

	if (mount_fd < 0)
		return -EBADF;
	if (!root_rel_valid(root_rel))
		return fail(-EINVAL, err, errlen,
			    "cgroup root '%s' must be a relative path without '.' or '..'",
			    root_rel ? root_rel : "");
	mnt = strdup(mount_path ? mount_path : "");
	root = strdup(root_rel);
	path = strdup(root_rel);
	/* the absolute path of the cgroup being worked on, for messages */
	wlen = strlen(mnt) + strlen(root_rel) + 16;
	where = malloc(wlen);
	if (!mnt || !root || !path || !where)
		return -ENOMEM;
	snprintf(where, wlen, "%s", mnt[0] ? mnt : "/");
	for (int c = 0; c < _AGENT_CTRL_MAX; c++)
		rep.ctrl[c].why = (wanted & AGENT_CTRL_BIT(c)) ? AGENT_CTRL_AVAILABLE
							       : AGENT_CTRL_NOT_WANTED;

	/* Down from the mount: enable in each ancestor, create each component. */
	dir = fcntl(mount_fd, F_DUPFD_CLOEXEC, 3);
	if (dir < 0)
		return -errno;
	for (comp = strtok_r(path, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next;

		r = enable_in(dir, where, &want, &rep, mountinfo, proc_cgroups);
		if (r < 0)
			return fail(r, err, errlen, "cannot read the controllers of '%s': %s", where,
				    strerror(-r));
		snprintf(where + strlen(where), wlen - strlen(where), "%s%s",
			 streq(where, "/") ? "" : "/", comp);
		r = mkdir_open(dir, comp, &next);
		if (r < 0)
			return fail(r, err, errlen, "cannot create cgroup '%s': %s", where,
				    strerror(-r));
		close(dir);
		dir = next;
	}
	/* The root itself: its children, then the agent out of it, then its controllers. */
	r = mkdir_open(dir, "agent", &agent);
	if (r >= 0)
		r = mkdir_open(dir, "supervisor", &sv);
	if (r >= 0)
		r = mkdir_open(dir, "tasks", &tasks);
	if (r < 0)
		return fail(r, err, errlen, "cannot create the children of cgroup '%s': %s", where,
			    strerror(-r));
	if (pid > 0) {
		r = agent_cgroup_attach(agent, pid);
		if (r < 0)
			return fail(r, err, errlen, "cannot move pid %d into '%s/agent': %s",
				    (int)pid, where, strerror(-r));
	}
	r = enable_in(dir, where, &want, &rep, mountinfo, proc_cgroups);
	if (r < 0)
		return fail(r, err, errlen, "cannot read the controllers of '%s': %s", where,
			    strerror(-r));
	snprintf(where + strlen(where), wlen - strlen(where), "/tasks");
	r = enable_in(tasks, where, &want, &rep, mountinfo, proc_cgroups);
	if (r < 0)
		return fail(r, err, errlen, "cannot read the controllers of '%s': %s", where,
			    strerror(-r));
	rep.available = want;
	rep.has_kill = faccessat(agent, "cgroup.kill", F_OK, 0) == 0;

	*ret = (struct agent_cgroup){
		.mount = TAKE_PTR(mnt),
		.root = TAKE_PTR(root),
		.mount_fd = TAKE_FD(mount_fd),
		.root_fd = TAKE_FD(dir),
		.agent_fd = TAKE_FD(agent),
		.supervisor_fd = TAKE_FD(sv),
		.tasks_fd = TAKE_FD(tasks),
		.report = rep,
	};
	return 0;
}

int agent_cgroup_mount_open(char **ret_path, int *ret_fd)
{
	_cleanup_free_ char *mi = NULL, *path = NULL;
	int fd, r;

	r = agent_read_fileat(AT_FDCWD, "/proc/self/mountinfo", &mi);
	if (r < 0)
		return r;
	r = cgroupfs_mountinfo_find_cgroup2(mi, &path);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_path = TAKE_PTR(path);
	*ret_fd = fd;
	return 0;
}

int agent_cgroup_init(const char *root_rel, pid_t pid, struct agent_cgroup *ret, char *err,
		      size_t errlen)
{
	_cleanup_free_ char *mi = NULL, *pc = NULL, *mnt = NULL;
	int fd, r;

	r = agent_read_fileat(AT_FDCWD, "/proc/self/mountinfo", &mi);
	if (r < 0)
		return fail(r, err, errlen, "cannot read /proc/self/mountinfo: %s", strerror(-r));
	r = cgroupfs_mountinfo_find_cgroup2(mi, &mnt);
	if (r < 0)
		return fail(r, err, errlen, "no cgroup2 file system is mounted (/proc/self/mountinfo)");
	fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(-errno, err, errlen, "cannot open the cgroup2 mount '%s': %m", mnt);
	(void)agent_read_fileat(AT_FDCWD, "/proc/cgroups", &pc);
	return agent_cgroup_setup(fd, mnt, root_rel, AGENT_CTRL_WANTED, pid, mi, pc, ret, err,
				  errlen);
}

void agent_cgroup_done(struct agent_cgroup *cg)
{
	if (!cg)
		return;
	free(cg->mount);
	free(cg->root);
	closep(&cg->mount_fd);
	closep(&cg->root_fd);
	closep(&cg->agent_fd);
	closep(&cg->supervisor_fd);
	closep(&cg->tasks_fd);
	*cg = (struct agent_cgroup){.mount_fd = -1, .root_fd = -1, .agent_fd = -1,
				    .supervisor_fd = -1, .tasks_fd = -1};
}

int agent_cgroup_teardown(struct agent_cgroup *cg, pid_t pid)
{
	static const char *const children[] = {"supervisor", "tasks", "agent"};
	_cleanup_close_ int parent = -1;
	const char *slash;
	int r;

	if (pid > 0) {
		r = agent_cgroup_attach(cg->mount_fd, pid);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(children); i++)
		if (unlinkat(cg->root_fd, children[i], AT_REMOVEDIR) < 0 && errno != ENOENT)
			return -errno;
	/* Only the last component: the ones above may belong to someone else (systemd). */
	slash = strrchr(cg->root, '/');
	if (!slash) {
		if (unlinkat(cg->mount_fd, cg->root, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	{
		_cleanup_free_ char *up = strndup(cg->root, (size_t)(slash - cg->root));

		if (!up)
			return -ENOMEM;
		parent = openat(cg->mount_fd, up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			return -errno;
	}
	if (unlinkat(parent, slash + 1, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
