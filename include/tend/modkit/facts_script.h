#ifndef TEND_FACTS_SCRIPT_H
#define TEND_FACTS_SCRIPT_H

#include "tend/util/buf.h"
#include "tend/modkit/facts_opts.h"

/* The script that prints the facts `o` asks for; sets o->boundary. */
void facts_script(struct buf *out, struct facts_opts *o);

#endif
