#include "tend/common.h"
#include "tend/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
