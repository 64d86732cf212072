#ifndef TEND_CLI_H
#define TEND_CLI_H

/* Run the tend command line; returns the process exit code (DESIGN.md). */
int cli_main(int argc, char **argv);

#endif
