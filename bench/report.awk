# The table of `make bench` (bench/run.sh) from its results file, one run
# a line: H MODE TOOL RUN MICROSECONDS RSS_KB ROUND_TRIPS TASK_RESULTS
# (the last two "-" for ansible). -v floorfile=FILE: the output of
# build/bench/rtt; -v runs=N: runs per pair.

function median(key,    n, i, j, t, v) {
	n = cnt[key]
	for (i = 1; i <= n; i++)
		v[i] = val[key, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

function add(key, x) {
	val[key, ++cnt[key]] = x
}

function verdict(ok) {
	return ok ? "ok" : "MISS"
}

BEGIN {
	while ((getline line < floorfile) > 0) {
		split(line, f, " ")
		fl[f[1]] = f[2]
	}
}

{
	h = $1; m = $2; tool = $3
	if (!(h in seen)) {
		seen[h] = 1
		hs[++nh] = h
	}
	add(h SUBSEP m SUBSEP tool SUBSEP "t", $5 / 1e6)
	add(h SUBSEP m SUBSEP tool SUBSEP "rss", $6 / 1024)
	if (tool == "tend") {
		res[h, m] = $8
		rtph[h, m] = $7 / $8
	}
}

END {
	printf "Floor: one `true` on an open connection: %.3f ms through tend's persistent shell, %.3f ms on a new exec channel; connect + login %.1f ms.\n\n", fl["shell_ms"], fl["channel_ms"], fl["connect_ms"]
	printf "Medians of %d runs. RSS: peak, MB. RT: tend's SSH round trips per task per host. ms/task/host: tend's wall time / (tasks x H); x floor: that / the shell round trip.\n\n", runs
	print "| H | mode | tend s | ansible s | ansible/tend | tend RSS | ansible RSS | RT | tend ms/task/host | x floor |"
	print "|--:|------|-------:|----------:|-------------:|---------:|------------:|---:|------------------:|--------:|"
	split("apply noop plan", modes, " ")
	for (i = 1; i <= nh; i++) {
		h = hs[i]
		for (k = 1; k <= 3; k++) {
			m = modes[k]
			tt = median(h SUBSEP m SUBSEP "tend" SUBSEP "t")
			ta = median(h SUBSEP m SUBSEP "ansible" SUBSEP "t")
			rs = median(h SUBSEP m SUBSEP "tend" SUBSEP "rss")
			ra = median(h SUBSEP m SUBSEP "ansible" SUBSEP "rss")
			per = tt * 1000 / res[h, m]
			name = m == "plan" ? "plan/check" : m
			printf "| %d | %s | %.3f | %.2f | %.1f | %.1f | %.1f | %.2f | %.3f | %.1f |\n", h, name, tt, ta, ta / tt, rs, ra, rtph[h, m], per, per / fl["shell_ms"]
			ratio[h, m] = ta / tt
			xfloor[h, m] = per / fl["shell_ms"]
			if (rs > rss_t[h])
				rss_t[h] = rs
			if (ra > rss_a[h])
				rss_a[h] = ra
		}
	}
	print ""
	print "Targets:"
	for (i = 1; i <= nh; i++) {
		h = hs[i]
		want = 0
		if (h >= 50)
			want = 20
		else if (h >= 10)
			want = 30
		if (want)
			for (k = 1; k <= 2; k++) {
				r = ratio[h, modes[k]]
				printf "  %-4s ansible/tend >= %d for %s at H=%d: %.1f\n", verdict(r >= want), want, modes[k], h, r
			}
		x = xfloor[h, "noop"]
		printf "  %-4s tend no-op cost per task per host <= 3x floor at H=%d: %.1fx\n", verdict(x <= 3), h, x
		a = rtph[h, "noop"]; b = rtph[h, "plan"]
		printf "  %-4s at most 1 round trip per task per host (no-op, plan) at H=%d: %.2f, %.2f\n", verdict(a <= 1 && b <= 1), h, a, b
		if (h >= 50) {
			printf "  %-4s tend peak RSS <= 1/10 of ansible's at H=%d: %.1f MB vs %.1f MB\n", verdict(rss_t[h] * 10 <= rss_a[h]), h, rss_t[h], rss_a[h]
			printf "  %-4s tend peak RSS < 30 MB at H=%d: %.1f MB\n", verdict(rss_t[h] < 30), h, rss_t[h]
		}
	}
}
