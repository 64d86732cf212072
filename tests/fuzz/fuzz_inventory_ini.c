#include "fuzz_inventory.h"

/* The INI inventory reader (inventory/ini.c, ini_value.c, ranges.c). */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_inventory("hosts.ini", data, size);
	return 0;
}
