#include "tend/common.h"
#include "tend/cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
