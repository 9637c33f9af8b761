/* builtins: the table of builtins.def, without the hooks. */
#include "builtins.h"

#include <stddef.h>
#include <string.h>

const BuiltinDef builtin_defs[B__COUNT] = {
#define BUILTIN(id, name, kind, on, param, ptype, flags, lo, hi, result, check, emit) \
    [id] = {name, kind, on, param, ptype, flags, lo, hi, result},
#include "builtins.def"
#undef BUILTIN
};

const BuiltinDef *builtin_member(BuiltinKind kind, TypeKind on, const char *name) {
    for (size_t i = 0; i < B__COUNT; i++) {
        const BuiltinDef *d = &builtin_defs[i];
        if (d->kind == kind && d->on == on && strcmp(d->name, name) == 0) return d;
    }
    return NULL;
}
