#ifndef TEND_NET_LXD_DIFF_H
#define TEND_NET_LXD_DIFF_H

/*
 * LXD instances compared and shown, with no I/O: the change lines of an
 * instance whose config, devices or profiles differ from a task's, and
 * the canonical text of an instance that a saved plan fingerprints.
 * `in` is an instance as `GET /1.0/instances?recursion=2` gives it
 * (net/lxd.h).
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"

/*
 * Append text from a task or from LXD (a key, a value, a name) to a
 * change line: as it is when it is plain (letters, digits and
 * `._/:@+-`), else quoted and escaped as a JSON string, so that a space,
 * a comma, braces, `{{`, `%`, `\` or a newline in it can neither pass
 * for another key or line nor be taken for a template.
 */
void lxd_show_text(struct buf *out, const char *s);

/*
 * Append value `v` (a string; NULL: "") as lxd_show_text does, or
 * ******** when it holds a secret.
 */
void lxd_show_value(struct buf *out, const struct val *v);

/*
 * Whether a running container takes config key `key` at once (limits.*,
 * user.*, boot.* ...); the rest take effect at its next start.
 */
bool lxd_key_is_live(const char *key);

/*
 * The profiles (a list of strings) and devices (name -> dict of strings)
 * a task wants, each NULL when it does not give them, against instance
 * `in`: what differs is appended to `shown` (", " between items) key by
 * key:
 *   profiles [default] -> [default, web]
 *   devices.data (none) -> {path=/srv, source=/x, type=disk}
 *   devices.data.readonly (unset) -> true
 *   devices.eth0.nictype bridged -> macvlan
 *   devices.data {path=/srv, type=disk} -> (none)
 * and set in `put` ("profiles", "devices": new references to the wanted
 * ones) for lxd_instance_put. *restart is set when one needs a restart
 * of a running instance (a VM's; a container takes both live).
 */
void lxd_shape_diff(struct buf *shown, struct val *put, bool *restart,
		    const struct val *profiles, const struct val *devices,
		    const struct val *in);

/*
 * Append a canonical text of instance `in` (NULL: absent, "null") to
 * `out`: JSON of its name, status, config without LXD's volatile.* keys,
 * devices and profiles, every dict in key order; not its live state or
 * last_used_at. Two reads of an instance nobody touched give the same
 * text: a saved plan's fingerprint of what it saw.
 */
void lxd_instance_canonical(struct buf *out, const struct val *in);

#endif
