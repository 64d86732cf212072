#ifndef TEND_MODKIT_DEB822_H
#define TEND_MODKIT_DEB822_H

/*
 * deb822 APT sources (the deb822_repository module): the names Ansible
 * 2.15+ derives from a repository's `name` and the text it writes. Pure
 * functions, no I/O, so that unit tests can hold them to Ansible's bytes.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"

#define DEB822_SOURCES_DIR "/etc/apt/sources.list.d"
#define DEB822_KEYRINGS_DIR "/etc/apt/keyrings"

/*
 * Append the file-name slug of `name` to `out`, as Ansible makes it:
 * lower case, each run of '_' and white space one '-', then every byte
 * that is not [a-z0-9-] dropped ("Docker CE_stable" -> "docker-ce-stable").
 * Bytes beyond ASCII are dropped (Python would lower-case some letters
 * first: see docs/packages.md).
 */
void deb822_slug(struct buf *out, const char *name);

/*
 * Whether `s` starts with a URL scheme as Python's urlsplit reads one
 * (after dropping leading control bytes and spaces, and every tab, CR
 * and LF): an ASCII letter, then letters, digits, '+', '-' or '.' up to
 * a ':'. Such a signed_by is fetched; anything else is a path or data.
 */
bool deb822_has_scheme(const char *s);

/*
 * Append to `out` the .sources text Ansible's deb822_repository writes
 * for the normalized `args` (a dict: the deb822 fields by their module
 * names; mode, state and install_python_debian are skipped), with
 * `signed_by` (the key file's path, or the data as given) in place of
 * the arg of that name (NULL: no Signed-By field); types defaults to
 * deb, as in Ansible's spec. Fields come in the
 * order of the args' names, sorted; a bool is yes/no, a list its items
 * joined by spaces, and a value holding a line break is written as
 * deb822 continuation lines (each line stripped and indented by four
 * spaces, an empty one as "."). One paragraph, ending in "\n".
 */
void deb822_render(struct buf *out, const struct val *args,
		   const char *signed_by);

/* The field name of a module arg: "uris" -> "URIs", "by_hash" -> "By-Hash". */
void deb822_field_name(struct buf *out, const char *arg);

#endif
