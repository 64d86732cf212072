#include "fuzz.h"
#include "tend/util/fs.h"

#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>

/* The helpers of fuzz.h, linked into every harness. */

static char scratch[64];
static struct buf file_path = BUF_INIT;

/* The harnesses only ever create plain files directly in scratch. */
static void remove_scratch(void)
{
	struct buf p = BUF_INIT;
	struct dirent *e;
	DIR *dir;

	if (!scratch[0] || !(dir = opendir(scratch)))
		return;
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", scratch, e->d_name);
		unlink(p.ptr);
	}
	closedir(dir);
	rmdir(scratch);
	buf_release(&p);
	buf_release(&file_path);
}

const char *fuzz_dir(void)
{
	if (!scratch[0]) {
		struct stat st;
		const char *base = stat("/dev/shm", &st) == 0 &&
				   S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";

		snprintf(scratch, sizeof(scratch), "%s/tend-fuzz.XXXXXX", base);
		if (!mkdtemp(scratch)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(remove_scratch);
	}
	return scratch;
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	FILE *f;

	buf_reset(&file_path);
	buf_addf(&file_path, "%s/%s", fuzz_dir(), name);
	if (!(f = fopen(file_path.ptr, "wb")) ||
	    (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror("fuzz: cannot write the input file");
		abort();
	}
	return file_path.ptr;
}

void fuzz_done(void)
{
	tend_error_clear();
}
