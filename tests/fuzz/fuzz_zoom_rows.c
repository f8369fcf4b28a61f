/* Differential fuzz target: one page of Zoom's live list read by the fast
 * reader (ZoomRows_page, simdjson) and by the reference (ZoomRows_page_ref,
 * jansson); any difference in the outcome, the reason, the rows kept, the
 * first bad row or the next page's token aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoom_rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void differ(const char *what, const uint8_t *data, size_t size)
{
        fprintf(stderr, "fast and reference readers differ on %s; input: %.*s\n", what, (int)size,
                (const char *)data);
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static ZoomRows *f, *r;
        if (!f) {
                f = ZoomRows_new();
                r = ZoomRows_new();
        }
        ZoomRows_reset(f);
        ZoomRows_reset(r);
        char wf[256] = "", wr[256] = "";
        int rf = ZoomRows_page(f, (const char *)data, size, wf, sizeof wf);
        int rr = ZoomRows_page_ref(r, (const char *)data, size, wr, sizeof wr);
        if (rf != rr || strcmp(wf, wr) != 0)
                differ("the outcome", data, size);
        size_t lf, lr;
        const char *tf = ZoomRows_text(f, &lf), *tr = ZoomRows_text(r, &lr);
        if (lf != lr || memcmp(tf, tr, lf) != 0 || ZoomRows_count(f) != ZoomRows_count(r))
                differ("the rows", data, size);
        const char *bf = ZoomRows_bad(f), *br = ZoomRows_bad(r);
        if (!bf != !br || (bf && strcmp(bf, br) != 0))
                differ("the bad row", data, size);
        if (strcmp(ZoomRows_next(f), ZoomRows_next(r)) != 0)
                differ("the next token", data, size);
        return 0;
}
