#include "tend/common.h"
#include "tend/interrupt.h"

volatile sig_atomic_t tend_interrupted;
