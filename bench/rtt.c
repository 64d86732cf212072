#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/transport/ssh.h"

#include <time.h>

/*
 * The floor for `make bench`: the median time of one remote command on an
 * open connection, measured with tend's own SSH transport.
 *
 *   rtt PORT KEY KNOWN_HOSTS [N [SCRIPT...]]
 *
 * connects to 127.0.0.1:PORT and runs `true` N times (default 200) in two
 * ways: through the persistent shell (what tend's tasks use) and with one
 * exec channel per command. Prints, in milliseconds:
 *
 *   connect_ms X      opening the session (TCP, handshake, key auth)
 *   shell_ms X        median of one `true` through the persistent shell
 *   channel_ms X      median of one `true` on a new exec channel
 *   script_ms X S     median of the script S through the persistent shell,
 *                     for each SCRIPT given (to take a module's check apart)
 */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Open a transport on the host, then time `n` runs of `true`; the median
 * goes to *out_ms and the connect time to *connect_ms.
 */
static int time_exec(double *out_ms, double *connect_ms,
		     const struct ssh_opts *opts, const char *script, size_t n)
{
	struct transport *t = NULL;
	struct exec_req req = { .script = script };
	double *samples = xcalloc(n, sizeof(*samples));
	double start;
	size_t i;
	int error;

	if ((error = transport_ssh_new(&t, opts)) < 0)
		goto out;
	start = now_ms();
	if ((error = transport_ssh_connect(t)) < 0)
		goto out;
	*connect_ms = now_ms() - start;
	/* one warm-up call: the shell starts on the first exec */
	for (i = 0; i <= n; i++) {
		struct exec_result res = EXEC_RESULT_INIT;

		start = now_ms();
		error = t->exec(t, &req, &res);
		if (!error && res.status != 0)
			error = tend_error_set("'%s' exited %d", script,
					       res.status);
		exec_result_release(&res);
		if (error < 0)
			goto out;
		if (i > 0)
			samples[i - 1] = now_ms() - start;
	}
	*out_ms = median(samples, n);

out:
	transport_close(t);
	free(samples);
	return error;
}

int main(int argc, char **argv)
{
	struct ssh_opts opts = { .host = "127.0.0.1" };
	double shell_ms, channel_ms, connect_ms, unused;
	size_t n = 200;
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: rtt PORT KEY KNOWN_HOSTS [N [SCRIPT...]]\n");
		return 2;
	}
	opts.port = atoi(argv[1]);
	opts.private_key = argv[2];
	opts.known_hosts = argv[3];
	if (argc >= 5)
		n = strtoul(argv[4], NULL, 10);
	if (n == 0)
		n = 1;

	if (time_exec(&shell_ms, &connect_ms, &opts, "true", n) < 0)
		goto fail;
	printf("connect_ms %.3f\n", connect_ms);
	printf("shell_ms %.3f\n", shell_ms);
	for (i = 5; i < argc; i++) {
		double ms;

		if (time_exec(&ms, &unused, &opts, argv[i], n) < 0)
			goto fail;
		printf("script_ms %.3f %s\n", ms, argv[i]);
	}
	opts.exec_channels = true;
	if (time_exec(&channel_ms, &unused, &opts, "true", n) < 0)
		goto fail;
	printf("channel_ms %.3f\n", channel_ms);
	return 0;

fail:
	fprintf(stderr, "rtt: %s\n", tend_error_last());
	return 1;
}
