#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/store/store.h"

#include <pwd.h>
#include <unistd.h>

/*
 * The backends by what a path starts with; the first match wins, so the
 * catch-all file path comes last. A NULL open names a backend that is
 * planned but not built.
 */
static const struct store_backend {
	const char *prefix;
	const char *name;
	int (*open)(struct store **out, const char *path);
} backends[] = {
	{ "postgres://", "PostgreSQL", NULL },
	{ "postgresql://", "PostgreSQL", NULL },
	{ "", "SQLite", store_sqlite_open },
};

char *store_default_path(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	struct buf b = BUF_INIT;

	if (xdg && *xdg) {
		buf_addf(&b, "%s/tend/tend.db", xdg);
	} else {
		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());

			home = pw ? pw->pw_dir : "/";
		}
		buf_addf(&b, "%s/.local/state/tend/tend.db", home);
	}
	return buf_detach(&b, NULL);
}

int store_open(struct store **out, const char *path)
{
	char *dflt = NULL;
	int error = -1;

	*out = NULL;
	if (!path)
		path = dflt = store_default_path();
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++) {
		const struct store_backend *b = &backends[i];

		if (strncmp(path, b->prefix, strlen(b->prefix)))
			continue;
		if (!b->open)
			error = tend_error_set("cannot open state store '%s': "
					       "%s stores are not supported "
					       "yet", path, b->name);
		else
			error = b->open(out, path);
		break;
	}
	free(dflt);
	return error;
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

static int unsupported(const struct store *s, const char *op)
{
	return tend_error_set("the %s store cannot %s", s->ops->name, op);
}

/* Call op `op` of s's backend, or fail if it has none. */
#define STORE_CALL(s, op, ...) \
	((s)->ops->op ? (s)->ops->op(__VA_ARGS__) : unsupported((s), #op))

int store_reap(struct store *s)
{
	return STORE_CALL(s, reap, s);
}

int store_run_begin(struct store *s, long long *id,
		    const struct run_info *info)
{
	return STORE_CALL(s, run_begin, s, id, info);
}

int store_run_event(struct store *s, long long id, const struct run_event *ev)
{
	return STORE_CALL(s, run_event, s, id, ev);
}

int store_run_finish(struct store *s, long long id, const char *status,
		     const struct run_result *r)
{
	return STORE_CALL(s, run_finish, s, id, status, r);
}

int store_history(struct val **out, struct store *s, int limit)
{
	return STORE_CALL(s, history, out, s, limit);
}

int store_show(struct val **out, struct store *s, long long id)
{
	return STORE_CALL(s, show, out, s, id);
}

int store_run_durations(struct val **out, struct store *s,
			const char *playbook, int limit)
{
	return STORE_CALL(s, run_durations, out, s, playbook, limit);
}

int store_window_begin(struct store *s, long long *id, const struct val *w)
{
	return STORE_CALL(s, window_begin, s, id, w);
}

int store_window_provider(struct store *s, long long id, size_t seq,
			  const char *status, const char *external_id,
			  const char *error_msg)
{
	return STORE_CALL(s, window_provider, s, id, seq, status, external_id,
			  error_msg);
}

int store_window_update(struct store *s, long long id, long long ends_at,
			const char *status)
{
	return STORE_CALL(s, window_update, s, id, ends_at, status);
}

int store_window_get(struct val **out, struct store *s, long long id)
{
	return STORE_CALL(s, window_get, out, s, id);
}

int store_window_ids(struct val **out, struct store *s, bool open_only)
{
	return STORE_CALL(s, window_ids, out, s, open_only);
}

int store_window_orphans(struct val **out, struct store *s, long long now)
{
	return STORE_CALL(s, window_orphans, out, s, now);
}

int store_lock_acquire(struct store *s, const char *name, const char *owner,
		       long long ttl_seconds, bool *got, struct val **broken)
{
	struct val *lost = NULL;
	int error;

	*got = false;
	if (broken)
		*broken = NULL;
	error = STORE_CALL(s, lock_acquire, s, name, owner, ttl_seconds, got,
			   &lost);
	if (broken && error >= 0)
		*broken = lost;
	else
		val_unref(lost);
	return error;
}

int store_lock_release(struct store *s, const char *name, const char *owner)
{
	return STORE_CALL(s, lock_release, s, name, owner);
}

int store_lock_holder(struct val **out, struct store *s, const char *name)
{
	*out = NULL;
	return STORE_CALL(s, lock_holder, out, s, name);
}

int store_resource_put(struct store *s, const char *kind, const char *name,
		       const struct val *attributes, long long expires_at)
{
	return STORE_CALL(s, resource_put, s, kind, name, attributes,
			  expires_at);
}

int store_resource_get(struct val **out, struct store *s, const char *kind,
		       const char *name)
{
	return STORE_CALL(s, resource_get, out, s, kind, name);
}

int store_resource_list(struct val **out, struct store *s, const char *kind)
{
	return STORE_CALL(s, resource_list, out, s, kind);
}

int store_resource_delete(struct store *s, const char *kind,
			  const char *name)
{
	return STORE_CALL(s, resource_delete, s, kind, name);
}

int store_drift_add(struct store *s, const char *host, const char *schedule,
		    long long run_id, const struct val *tasks)
{
	return STORE_CALL(s, drift_add, s, host, schedule, run_id, tasks);
}

int store_drift_list(struct val **out, struct store *s, int limit)
{
	*out = NULL;
	return STORE_CALL(s, drift_list, out, s, limit);
}
