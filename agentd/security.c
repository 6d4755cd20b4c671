// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's side of docs/security.md: its credential and the CA it verifies the master
 * by, the certificate of its own API, the user of tasks that name none (--task-user or a
 * dynamic uid), the tasks' seccomp filter, and the aggregate limits on tasks/.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "auth.h"
#include "fileio.h"
#include "http_client.h"
#include "log.h"
#include "seccomp.h"
#include "task_limits.h"

int agent_security_init(struct agent *a)
{
	struct agent_flags *f = a->flags;
	char err[1024];
	size_t len;
	int r;

	if (f->tls_ca) {
		if (access(f->tls_ca, R_OK) < 0)
			return log_error_errno(errno, "--tls-ca: cannot read '%s': %m", f->tls_ca);
		if (http_client_set_tls_ca(a->http, f->tls_ca) < 0)
			return log_error_errno(ENOMEM, "out of memory");
	}
	if (strncmp(a->master_url, "https://", 8) != 0 && f->credential)
		log_warn("--credential over plain HTTP: the secret crosses the network in clear "
			 "text (give --tls-ca or an https:// master)");
	if (f->credential) {
		char *principal = NULL, *secret = NULL;
		r = auth_credential_load(f->credential, &principal, &secret, err, sizeof(err));
		if (r < 0) {
			log_error("--credential: %s", err);
			return r;
		}
		r = http_client_set_basic_auth(a->http, principal, secret);
		log_info("authenticating to the master as '%s'", principal);
		explicit_bzero(secret, strlen(secret));
		free(secret);
		free(principal);
		if (r < 0)
			return log_error_errno(r, "out of memory");
	}
	if (f->api_credentials) {
		r = auth_credentials_load(f->api_credentials, &a->api_creds, err, sizeof(err));
		if (r < 0) {
			log_error("--api-credentials: %s", err);
			return r;
		}
		a->api_auth = true;
		log_info("the agent's API needs authentication: %zu principals from '%s'",
			 a->api_creds.n, f->api_credentials);
		if (!f->tls_cert)
			log_warn("--api-credentials without --tls-cert: secrets cross the network in "
				 "clear text");
	}
	if (!f->tls_cert != !f->tls_key) {
		log_error("--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	if (f->tls_cert) {
		r = file_read_all(f->tls_cert, 1 << 20, &a->tls_cert_pem, &len);
		if (r < 0)
			return log_error_errno(r, "--tls-cert: cannot read '%s': %m", f->tls_cert);
		r = file_read_all(f->tls_key, 1 << 20, &a->tls_key_pem, &len);
		if (r < 0)
			return log_error_errno(r, "--tls-key: cannot read '%s': %m", f->tls_key);
	}
	if (f->dynamic_uids && *f->dynamic_uids) {
		uint32_t first, last;

		if (agent_uid_range_parse(f->dynamic_uids, &first, &last) < 0) {
			log_error("--dynamic-uids: '%s' is not FIRST-LAST (1 <= FIRST <= LAST < "
				  "2147483647)",
				  f->dynamic_uids);
			return -EINVAL;
		}
	} else if ((!f->task_user || !*f->task_user) && geteuid() == 0) {
		log_error("--task-user '' and --dynamic-uids '': tasks that name no user would "
			  "run as root; give one of them");
		return -EINVAL;
	}
	if (f->task_user && *f->task_user) {
		struct passwd *pw = getpwnam(f->task_user);
		if (!pw) {
			log_error("--task-user: unknown user '%s'", f->task_user);
			return -ENOENT;
		}
		if (pw->pw_uid == 0) {
			log_error("--task-user: '%s' is root; tasks run as root only when they ask "
				  "for it by name and the master's ACLs allow it",
				  f->task_user);
			return -EPERM;
		}
	}
	return 0;
}

/* A uid of the range that the passwd database gives to someone cannot be handed out. */
static bool uid_in_passwd(uint32_t uid, void *data)
{
	char buf[4096];
	struct passwd pw, *res = NULL;

	return getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) != 0 || res != NULL;
}

/* The uid a live task of fid runs as, from /proc (0: none found in the range). */
static uint32_t running_uid(struct agent *a, const char *fid)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		char path[64];
		struct stat st;

		if (!t->running || t->proc.task_pid <= 0 || strcmp(t->fw_id, fid) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d", (int)t->proc.task_pid);
		if (stat(path, &st) == 0 && st.st_uid >= a->uids.first && st.st_uid <= a->uids.last)
			return (uint32_t)st.st_uid;
	}
	return 0;
}

/* Does fid have a task other than but that has not ended? */
static bool framework_live(struct agent *a, const char *fid, const struct agent_task *but)
{
	size_t it;
	void *v;

	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;

		if (t != but && !task_state_terminal(t->state) && strcmp(t->fw_id, fid) == 0)
			return true;
	}
	return false;
}

/* The sandboxes of framework fid go back to root (its uid is released: the next holder). */
static void sandboxes_to_root(struct agent *a, const char *fid)
{
	char path[PATH_MAX], name[DISK_NAME_MAX + 1];
	struct dirent *de;
	DIR *d;

	if (disk_name(fid, strlen(fid), 0, name) < 0)
		return;
	snprintf(path, sizeof(path), "%s/sandboxes/%s", a->flags->work_dir, name);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    fchownat(dirfd(d), de->d_name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
			log_warn("cannot give the sandbox '%s/%s' back to root: %m", path, de->d_name);
	closedir(d);
}

static int uids_start(struct agent *a)
{
	struct agent_flags *f = a->flags;
	char err[512];
	uint32_t first = 0, last = 0;
	bool changed = false;
	const char *fid;
	size_t it;
	void *v;
	int r;

	if (f->dynamic_uids && *f->dynamic_uids)
		(void)agent_uid_range_parse(f->dynamic_uids, &first, &last); /* checked at init */
	agent_uid_pool_init(&a->uids, first, last);
	a->uids_ready = true;
	if (!first)
		return 0;
	r = agent_uid_pool_open(&a->uids, f->work_dir, err, sizeof(err));
	if (r < 0)
		log_warn("dynamic uids: %s; starting from an empty allocation", err);
	/* a framework whose tasks all ended while the agent was down gives its uid back */
	/* (deleting leaves a tombstone: the walk goes on) */
	for (it = 0; strmap_next(&a->uids.fw, &it, &fid, &v);) {
		if (!framework_live(a, fid, NULL)) {
			sandboxes_to_root(a, fid);
			agent_uid_pool_put(&a->uids, fid);
			changed = true;
		}
	}
	/* a lost file: the uids live tasks run as are taken again */
	for (it = 0; strmap_next(&a->tasks, &it, NULL, &v);) {
		struct agent_task *t = v;
		uint32_t uid;

		if (agent_uid_pool_lookup(&a->uids, t->fw_id) || !(uid = running_uid(a, t->fw_id)))
			continue;
		if (agent_uid_pool_get(&a->uids, t->fw_id, NULL, NULL, &uid) == 0)
			changed = true;
	}
	if (changed && (r = agent_uid_pool_save(&a->uids)) < 0)
		log_warn_errno(r, "dynamic uids: cannot save the allocation: %m");
	log_info("dynamic uids %u-%u: %zu framework(s) hold one", first, last,
		 strmap_size(&a->uids.fw));
	return 0;
}

int agent_task_uid_get(struct agent *a, const char *fid, uint32_t *ret_uid)
{
	bool had = agent_uid_pool_lookup(&a->uids, fid) != 0;
	int r;

	r = agent_uid_pool_get(&a->uids, fid, uid_in_passwd, NULL, ret_uid);
	if (r < 0 || had)
		return r;
	r = agent_uid_pool_save(&a->uids);
	if (r < 0) { /* not kept across a restart: do not hand it out */
		agent_uid_pool_put(&a->uids, fid);
		return r;
	}
	log_info("framework '%s' runs its tasks as dynamic uid %u", fid, *ret_uid);
	return 0;
}

void agent_task_uid_release(struct agent *a, struct agent_task *t)
{
	uint32_t uid;
	int r;

	if (!a->uids_ready || !(uid = agent_uid_pool_lookup(&a->uids, t->fw_id)))
		return;
	/* what the task left in its sandbox stays out of reach of the uid's next holder */
	if (t->sandbox[0] && chown(t->sandbox, 0, 0) < 0 && errno != ENOENT)
		log_warn("cannot give the sandbox '%s' back to root: %m", t->sandbox);
	if (framework_live(a, t->fw_id, t))
		return;
	agent_uid_pool_put(&a->uids, t->fw_id);
	r = agent_uid_pool_save(&a->uids);
	if (r < 0)
		log_warn_errno(r, "dynamic uids: cannot save the allocation: %m");
	log_info("framework '%s' has no task left: dynamic uid %u released", t->fw_id, uid);
}

const struct sock_fprog *agent_task_seccomp(struct agent *a)
{
	return a->seccomp;
}

int agent_security_start(struct agent *a)
{
	struct agent_flags *f = a->flags;
	uint64_t mem = 0;
	char note[256];
	int r;

	r = uids_start(a);
	if (r < 0)
		return r;
	if (f->task_seccomp == AGENT_SECCOMP_DEFAULT) {
		a->seccomp = calloc(1, sizeof(*a->seccomp));
		if (!a->seccomp)
			return log_error_errno(ENOMEM, "out of memory");
		r = agent_seccomp_build(a->seccomp);
		if (r < 0)
			return log_error_errno(r, "cannot build the tasks' seccomp filter: %m");
		log_info("tasks start under the default seccomp filter (%u instructions)",
			 (unsigned)a->seccomp->len);
	} else {
		log_warn("--task-seccomp off: tasks may create user namespaces and reach every "
			 "system call");
	}
	(void)agent_mib_to_bytes((double)alloc_res_scalar(&a->total, "mem") / ALLOC_SCALAR_UNIT,
				 &mem);
	r = agent_isolators_aggregate(&a->iso_ctx, a->cg.tasks_fd,
				      (double)alloc_res_scalar(&a->total, "cpus") / ALLOC_SCALAR_UNIT,
				      mem, note, sizeof(note));
	if (r < 0)
		return log_error_errno(r, "cannot limit the tasks' cgroup to the agent's resources: %m");
	if (note[0])
		log_warn("tasks together are not limited to the agent's resources: %s", note);
	return 0;
}

void agent_security_fini(struct agent *a)
{
	if (a->uids_ready)
		agent_uid_pool_clear(&a->uids);
	a->uids_ready = false;
	if (a->seccomp) {
		agent_seccomp_free(a->seccomp);
		free(a->seccomp);
		a->seccomp = NULL;
	}
	auth_credentials_clear(&a->api_creds);
	if (a->tls_key_pem)
		explicit_bzero(a->tls_key_pem, strlen(a->tls_key_pem));
	free(a->tls_key_pem);
	free(a->tls_cert_pem);
	a->tls_key_pem = a->tls_cert_pem = NULL;
}
