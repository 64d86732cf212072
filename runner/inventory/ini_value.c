#include "tend/common.h"
#include "tend/inventory/inventory_int.h"
#include "tend/data/pyliteral.h"


/*
 * INI inventory values: Python literals (ast.literal_eval) or strings.
 */

/*
 * The value of an INI variable: a Python literal if the whole text is one
 * ("1", "True", "[1, 2]", "'x'", "1, 2" a tuple), else the text itself.
 */
struct val *inv_ini_value(const char *s, const char *file,
		      unsigned int line, unsigned int col)
{
	const char *p = s;
	struct val *v;

	while (*p == ' ' || *p == '\t')
		p++;
	v = pyliteral_parse(p, strlen(p), false);
	if (!v)
		v = val_str(s);
	inv_set_pos(v, file, line, col);
	return v;
}
