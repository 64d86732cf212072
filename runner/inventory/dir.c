#include "tend/common.h"
#include "tend/inventory/inventory_int.h"

#include <dirent.h>
#include <sys/stat.h>

/*
 * Inventory directories: their files in name order.
 */

/* Sources -------------------------------------------------------------- */

const char *inv_file_ext(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	while (*base == '.')
		base++;
	dot = strrchr(base, '.');
	return dot ? dot : "";
}

/* Sorted entry names of `dir` (without . and ..); *nr 0 if missing. */
int inv_list_dir(char ***out, size_t *nr, const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	size_t alloc = 0;

	*out = NULL;
	*nr = 0;
	if (!dh) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return tend_error_set("cannot open directory '%s': %s", dir,
				      strerror(errno));
	}
	while ((de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ALLOC_GROW(*out, *nr + 1, alloc);
		(*out)[(*nr)++] = xstrdup(de->d_name);
	}
	closedir(dh);
	if (*nr)
		qsort(*out, *nr, sizeof(**out), inv_cmp_str);
	return 0;
}

void inv_free_names(char **names, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

bool inv_is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}
