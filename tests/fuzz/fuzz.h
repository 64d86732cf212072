#ifndef TEND_FUZZ_H
#define TEND_FUZZ_H

/*
 * Shared by the libFuzzer harnesses in tests/fuzz/ (docs/fuzzing.md).
 *
 * Each harness defines LLVMFuzzerTestOneInput and feeds the input to one
 * of tend's readers through the same entry point the program uses. The
 * loaders that only read files get the input through a file in a scratch
 * directory made once per process (on tmpfs when /dev/shm exists) and
 * removed at exit; nothing is ever written into the repository.
 *
 * An input must never make the library crash, leak, hang or trip a
 * sanitizer: errors are the expected outcome of most inputs, and are
 * cleared after each one.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a NUL-terminated string (malloc'd; the caller frees). */
char *fuzz_cstr(const uint8_t *data, size_t size);

/*
 * Write the input to `name` in the scratch directory; returns the path,
 * valid until the next call. Aborts if the file cannot be written: the
 * harness, not the input, is broken then.
 */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);

/* The scratch directory (made on first use). */
const char *fuzz_dir(void);

/* Drop what the library left in its per-thread error after an input. */
void fuzz_done(void);

#endif
