#ifndef TEND_UNIT_H
#define TEND_UNIT_H

/*
 * Shared by the cmocka unit tests: include after the system headers.
 * assert_ok(expr) fails the test with tend_error_last() when expr < 0.
 */

#include "tend/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "tend/util/error.h"

#define assert_ok(expr)                                                     \
	do {                                                                \
		int assert_ok_rc_ = (expr);                                 \
		if (assert_ok_rc_ < 0)                                      \
			fail_msg("%s failed (%d): %s", #expr, assert_ok_rc_, \
				 tend_error_last());                        \
	} while (0)

#endif
