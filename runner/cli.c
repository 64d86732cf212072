#include "tend/common.h"
#include "tend/cli.h"

int cli_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tend: not built yet\n");
	return 1;
}
