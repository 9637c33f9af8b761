/* exc_kinds: the runtime's table of exception kinds, as the compiler sees
 * it. */
#include "exc_kinds.h"

#include <string.h>

#include "../runtime/mpr.h"

static const struct {
    const char *name, *cenum;
    int base;
} kinds[] = {
#define MPC_EXC_ROW(name, base) {#name, "MP_EXC_" #name, MP_EXC_##base},
    MP_EXCEPTION_KINDS(MPC_EXC_ROW)
#undef MPC_EXC_ROW
};

int exc_kind_count(void) { return MP_EXC__COUNT; }

int exc_kind_lookup(const char *name) {
    /* queue's kinds are also spelled as Python's module spells them */
    if (strncmp(name, "queue.", 6) == 0) {
        int k = exc_kind_lookup(name + 6);
        return k == MP_EXC_Empty || k == MP_EXC_Full ? k : -1;
    }
    for (int k = 0; k < MP_EXC__COUNT; k++)
        if (strcmp(kinds[k].name, name) == 0) return k;
    return -1;
}

const char *exc_kind_name(int k) {
    if (k == MP_EXC_Empty) return "queue.Empty";
    if (k == MP_EXC_Full) return "queue.Full";
    return kinds[k].name;
}

const char *exc_kind_enum(int k) { return kinds[k].cenum; }

bool exc_kind_sub(int k, int base) {
    for (;;) {
        if (k == base) return true;
        if (k == MP_EXC_Exception) return false;
        k = kinds[k].base;
    }
}

int exc_kind_exception(void) { return MP_EXC_Exception; }
