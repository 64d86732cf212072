#include "tend/common.h"
#include "tend/util/interrupt.h"

volatile sig_atomic_t tend_interrupted;
