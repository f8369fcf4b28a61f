/* Fuzz target: the log reader (line splitting, limits, CR, torn last line) and
 * the record formatter, whose output must parse back as the same message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
        if (!f)
                return 0;
        if (size == 0) {
                fclose(f);
                return 0;
        }
        LineReader r;
        LineReader_open_stream(&r, f, "fuzz");
        int flags;
        while (LineReader_next(&r, &flags) == LINE_OK) {
                if (r.len > LOG_LINE_MAX || strlen(r.buf) > r.len)
                        abort();
                char *rec;
                size_t n = Record_format(&rec, 1, 1000, "fuzz", r.buf, r.len, NULL);
                json_error_t jerr;
                json_t *back = json_loadb(rec, n, 0, &jerr);
                if (!back || rec[n - 1] != '\n' || memchr(rec, '\n', n - 1))
                        abort(); /* a record is always one line of valid JSON */
                json_decref(back);
                free(rec);
        }
        LineReader_close(&r);
        fclose(f);
        return 0;
}
