#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/source/source_int.h"

#include <strings.h>
#include <unistd.h>

/*
 * Repository URLs: which transport one asks for, its ssh host and port,
 * and the one spelling of it that names its cache directory.
 */

void source_url_info_release(struct url_info *u)
{
	free(u->url);
	free(u->host);
	free(u->label);
	memset(u, 0, sizeof(*u));
}

/* "[user@]host[:port]" (host may be "[v6]") into u->host and u->port */
static int parse_authority(struct url_info *u, const char *s, size_t len)
{
	const char *at = memrchr(s, '@', len), *end = s + len, *colon;
	char *endp;

	if (at) {
		len -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	u->port = 22;
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return -1;
		u->host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(s, ':', len);
		u->host = xstrndup(s, colon ? (size_t)(colon - s) : len);
	}
	if (colon) {
		long port = strtol(colon + 1, &endp, 10);

		if (endp != end || port < 1 || port > 65535)
			return -1;
		u->port = (int)port;
	}
	return u->host[0] ? 0 : -1;
}

/*
 * Which transport a URL asks for, as git decides it: a scheme, else
 * scp-like `host:path` when a colon comes before any slash, else a path.
 */
int source_url_parse(struct url_info *u, const char *url)
{
	static const struct {
		const char *scheme;
		enum url_kind kind;
	} schemes[] = {
		{ "file", URL_LOCAL }, { "git", URL_GIT }, { "ssh", URL_SSH },
		{ "git+ssh", URL_SSH }, { "ssh+git", URL_SSH },
		{ "http", URL_HTTP }, { "https", URL_HTTPS },
	};
	const char *sep = strstr(url, "://");
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	memset(u, 0, sizeof(*u));
	if (!*url)
		return tend_error_set("empty repository URL");
	if (sep) {
		size_t n = (size_t)(sep - url);

		for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
			if (strlen(schemes[i].scheme) == n &&
			    !strncasecmp(url, schemes[i].scheme, n))
				u->kind = schemes[i].kind;
		if (!u->kind)
			return tend_error_set("unsupported URL scheme in '%s' "
					      "(file, git, ssh, http, https)",
					      url);
		u->url = xstrdup(url);
		if (u->kind == URL_LOCAL && !strncmp(url + n, ":///", 4)) {
			/* file:///a and /a are one repository: one cache */
			char *real = realpath(url + n + 3, NULL);

			free(u->url);
			u->url = real ? real : xstrdup(url + n + 3);
		}
		if (u->kind == URL_SSH) {
			const char *auth = sep + 3;
			size_t alen = strcspn(auth, "/");

			if (parse_authority(u, auth, alen) < 0)
				goto bad;
		}
	} else if (colon && (!slash || colon < slash) && url[0] != '/') {
		u->kind = URL_SSH;
		u->url = xstrdup(url);
		if (parse_authority(u, url, (size_t)(colon - url)) < 0)
			goto bad;
		/* scp-like syntax cannot name a port */
		u->port = 22;
	} else {
		/* one spelling per repository: one cache directory */
		char *real = realpath(url, NULL);

		u->kind = URL_LOCAL;
		if (real) {
			u->url = real;
		} else {
			struct buf b = BUF_INIT;
			char *cwd = url[0] == '/' ? NULL : getcwd(NULL, 0);

			if (cwd)
				buf_addf(&b, "%s/", cwd);
			buf_adds(&b, url);
			free(cwd);
			u->url = buf_detach(&b, NULL);
		}
	}
	if (u->kind == URL_SSH) {
		struct buf b = BUF_INIT;

		if (u->port == 22)
			buf_adds(&b, u->host);
		else
			buf_addf(&b, "[%s]:%d", u->host, u->port);
		u->label = buf_detach(&b, NULL);
	}
	return 0;
bad:
	return tend_error_set("cannot parse the host of '%s'", url);
}
