#ifndef TEND_FACTS_NET_H
#define TEND_FACTS_NET_H

#include "tend/data/val.h"

/*
 * The network facts (facts_net.c) from the script's interface lines
 * (`lists`: "if", "ifbridge", "ifbond", "addr4") and `ip route get`.
 */
void facts_network(struct val *f, const struct val *lists, const char *route);

#endif
