#ifndef TEND_FACTS_LOCAL_H
#define TEND_FACTS_LOCAL_H

#include "tend/data/val.h"

/* A local fact file's text (JSON, else INI) as Ansible reads it. */
struct val *facts_local_parse(const char *path, const char *text);

#endif
