/* Fuzz target: the roster CSV reader and the delegation resolver on its rows. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "deleg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        FILE *f = fmemopen((void *)data, size, "r");
        if (!f)
                return 0;
        char err[512];
        Resolver *r = Resolver_new();
        Resolver_load_roster_stream(r, f, "fuzz.csv", err, sizeof err);
        fclose(f);
        /* resolve the input's first bytes as a display name, email and id */
        char name[128];
        size_t n = size < sizeof name - 1 ? size : sizeof name - 1;
        memcpy(name, data, n);
        name[n] = '\0';
        PartIdent p = {name, name, name, NULL};
        if (!Resolver_resolve(r, &p))
                __builtin_trap();
        Resolver_free(r);
        return 0;
}
