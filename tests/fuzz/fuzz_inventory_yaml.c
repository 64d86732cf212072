#include "fuzz_inventory.h"

/* The YAML inventory reader (inventory/yaml.c, ranges.c). */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_inventory("hosts.yml", data, size);
	return 0;
}
