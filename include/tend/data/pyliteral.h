#ifndef TEND_DATA_PYLITERAL_H
#define TEND_DATA_PYLITERAL_H

/*
 * Python's ast.literal_eval of a whole text (`len` bytes, no NUL inside):
 * numbers (ints that fit 64 bits), strings (prefixes r, u, b; escapes;
 * adjacent ones joined), True, False, None, lists, tuples (as lists) and
 * dicts (keys as their str()); "1, 2" is a tuple; comments and line
 * continuations as Python's tokenizer has them. With json_names the
 * names true, false and null are read too (Ansible's Json2Python, before
 * its literal_eval of a template's output). NULL when the text is not
 * one literal (sets, complex numbers and bigger ints are not read).
 * Used by INI inventories (inventory/ini_value.c) and by templates
 * (lang/render.c).
 */

#include "tend/data/val.h"

struct val *pyliteral_parse(const char *s, size_t len, bool json_names);

#endif
