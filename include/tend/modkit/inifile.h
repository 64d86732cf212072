#ifndef TEND_MODKIT_INIFILE_H
#define TEND_MODKIT_INIFILE_H

/*
 * The text logic of the ini_file module (community.general 6.6's, the
 * one Debian 12's ansible ships): a string in, a string out, its quirks
 * kept (a new file starts with an empty line, a file's last line gets
 * its newline, an option is found commented out too and made active).
 */

#include "tend/modkit/lineedit.h"

struct inifile_opts {
	const char *section;   /* NULL or "": the lines before any section */
	const char *option;    /* NULL: the section itself */
	const char **values;   /* value(s) wanted, duplicates allowed */
	size_t values_nr;
	bool absent;           /* state=absent */
	bool exclusive;
	bool no_extra_spaces;
	bool allow_no_value;
};

/*
 * Edit `in` (`len` bytes; NULL: no file yet, as an empty one) and fill
 * *out (initialised by the caller): changed, the new content and
 * Ansible's msg. `in` is read as Python reads a text file: a UTF-8 BOM
 * dropped, "\r\n" and "\r" as "\n". Returns 0, or -1 with the error set
 * for content that is not UTF-8 (Ansible fails to decode it).
 */
int inifile_edit(struct lineedit_result *out, const char *in, size_t len,
		 const struct inifile_opts *o);

#endif
