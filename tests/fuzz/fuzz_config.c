/* Fuzz target: the configuration loader. */
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Config c;
        char err[512];
        Config_init(&c);
        Config_load_text(&c, (const char *)data, size, "fuzz", err, sizeof err);
        Config_done(&c);
        return 0;
}
