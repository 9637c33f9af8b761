/* exc_kinds: the exception kinds `except` and `raise` name, read from the
 * runtime's one table (MP_EXCEPTION_KINDS in runtime/mpr.h), so compiler
 * and runtime cannot disagree. */
#ifndef MPC_EXC_KINDS_H
#define MPC_EXC_KINDS_H

#include <stdbool.h>

/* The kind called NAME ("ValueError", "Empty", "queue.Empty"), or -1. */
int exc_kind_lookup(const char *name);
/* How many kinds there are; kind K's name as Python writes it. */
int exc_kind_count(void);
const char *exc_kind_name(int k);
/* The C enumerator generated code names it by: "MP_EXC_ValueError". */
const char *exc_kind_enum(int k);
/* K is BASE or a subclass of it. */
bool exc_kind_sub(int k, int base);
/* The catch-all kind, Exception. */
int exc_kind_exception(void);

#endif
