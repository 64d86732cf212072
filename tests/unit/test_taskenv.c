#include "unit.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/data/yaml.h"
#include "tend/modkit/module.h"
#include "tend/modkit/taskenv.h"

#include <time.h>

/*
 * What a controller request takes from the task's keywords: the proxy
 * variables curl would read from the process's environment with the
 * task's over it, and the time left of its timeout.
 */

static struct val *yaml(const char *text)
{
	struct diags d = DIAGS_INIT;
	struct val *v = NULL;

	assert_ok(yaml_load_string(&v, text, strlen(text), "test.yml", &d));
	diags_release(&d);
	return v;
}

static void clear_proxy_env(void)
{
	static const char *const names[] = { "http_proxy", "HTTP_PROXY",
		"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
		"no_proxy", "NO_PROXY", NULL };

	for (size_t i = 0; names[i]; i++)
		unsetenv(names[i]);
}

static void test_taskenv__none_without_proxy_names(void **state)
{
	struct taskenv_proxy p = TASKENV_PROXY_INIT;
	struct task_ctx ctx = { 0 };
	struct val *env = yaml("LANG: C\nHTTP_PROXY: http://upper:1\n");

	(void)state;
	clear_proxy_env();
	setenv("http_proxy", "http://process:1", 1);
	/* no environment, or one naming no variable curl reads for it */
	assert_null(taskenv_proxy(&p, &ctx));
	ctx.env = env;
	assert_null(taskenv_proxy(&p, &ctx));
	taskenv_proxy_release(&p);
	val_unref(env);
	clear_proxy_env();
}

static void test_taskenv__task_over_process_as_curl_reads_them(void **state)
{
	struct taskenv_proxy p = TASKENV_PROXY_INIT;
	struct task_ctx ctx = { 0 };
	const struct http_proxy_env *e;
	struct val *env = yaml("http_proxy: http://task:3128\n"
			       "HTTP_PROXY: http://upper:1\n"
			       "HTTPS_PROXY: http://task-upper:2\n"
			       "all_proxy: 8080\n");

	(void)state;
	clear_proxy_env();
	setenv("https_proxy", "http://process-lower:4", 1);
	setenv("NO_PROXY", ".internal,10.0.0.1", 1);
	ctx.env = env;
	assert_non_null(e = taskenv_proxy(&p, &ctx));
	assert_string_equal(e->http, "http://task:3128");
	/* lower case first, in the environment the module would see */
	assert_string_equal(e->https, "http://process-lower:4");
	/* a value as its text, as the module's environment holds it */
	assert_string_equal(e->all, "8080");
	assert_string_equal(e->no, ".internal,10.0.0.1");
	taskenv_proxy_release(&p);
	assert_null(p.env.http);
	val_unref(env);
	clear_proxy_env();
}

static void test_taskenv__empty_and_unset(void **state)
{
	struct taskenv_proxy p = TASKENV_PROXY_INIT;
	struct task_ctx ctx = { 0 };
	const struct http_proxy_env *e;
	struct val *env = yaml("http_proxy: ''\nno_proxy: '*'\n");

	(void)state;
	clear_proxy_env();
	setenv("http_proxy", "http://process:1", 1);
	setenv("HTTP_PROXY", "http://upper:1", 1);
	ctx.env = env;
	assert_non_null(e = taskenv_proxy(&p, &ctx));
	/* emptied by the task: no proxy, HTTP_PROXY never read */
	assert_string_equal(e->http, "");
	assert_null(e->https);
	assert_null(e->all);
	assert_string_equal(e->no, "*");
	taskenv_proxy_release(&p);
	val_unref(env);
	clear_proxy_env();
}

static void test_taskenv__time_left_of_the_timeout(void **state)
{
	struct task_ctx ctx = { 0 };
	struct timespec ts;
	double now;
	long left;

	(void)state;
	assert_int_equal(taskenv_time_left_ms(&ctx), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	ctx.deadline = now - 3;
	assert_int_equal(taskenv_time_left_ms(&ctx), 1);
	ctx.deadline = now + 5;
	left = taskenv_time_left_ms(&ctx);
	assert_true(left > 4000 && left <= 5001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_taskenv__none_without_proxy_names),
		cmocka_unit_test(test_taskenv__task_over_process_as_curl_reads_them),
		cmocka_unit_test(test_taskenv__empty_and_unset),
		cmocka_unit_test(test_taskenv__time_left_of_the_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
