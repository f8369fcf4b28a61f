/* Fuzz target: the view model's text sanitiser (view_sanitize, view_width,
 * view_fit), which every untrusted string (display names, topics, reasons) goes
 * through before it reaches the terminal. Input: one byte for the output size,
 * one for the column count, then the text.
 * Checked against an independent UTF-8 decoder: the output is shortest-form UTF-8
 * without control characters or bidirectional overrides, fits its buffer, its
 * width is what view_width says, sanitising it again changes nothing, and
 * view_fit never goes over the columns asked for. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 0 when s is clean: valid shortest-form UTF-8, nothing that sanitising removes. */
static int clean_text(const unsigned char *s)
{
        while (*s) {
                uint32_t cp;
                int k;
                if (s[0] < 0x80) {
                        cp = s[0];
                        k = 0;
                } else if ((s[0] & 0xE0) == 0xC0) {
                        cp = s[0] & 0x1F;
                        k = 1;
                } else if ((s[0] & 0xF0) == 0xE0) {
                        cp = s[0] & 0x0F;
                        k = 2;
                } else if ((s[0] & 0xF8) == 0xF0) {
                        cp = s[0] & 0x07;
                        k = 3;
                } else {
                        return -1;
                }
                for (int i = 1; i <= k; i++) {
                        if ((s[i] & 0xC0) != 0x80)
                                return -1;
                        cp = (cp << 6) | (s[i] & 0x3F);
                }
                static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
                if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return -1;
                if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x200E || cp == 0x200F ||
                    cp == 0x061C || (cp >= 0x202A && cp <= 0x202E) ||
                    (cp >= 0x2066 && cp <= 0x2069))
                        return -1;
                s += k + 1;
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int init;
        if (!init) {
                setlocale(LC_ALL, "C.UTF-8");
                init = 1;
        }
        if (size < 2)
                return 0;
        size_t outlen = data[0] + 1; /* 1..256 */
        int cols = (int)data[1] - 8; /* -8..247 */
        char *in = malloc(size - 1);
        memcpy(in, data + 2, size - 2);
        in[size - 2] = '\0';

        char *out = malloc(outlen);
        int w = view_sanitize(in, out, outlen);
        if (strlen(out) >= outlen || w < 0 || clean_text((const unsigned char *)out) ||
            w != view_width(out))
                abort();
        char again[VIEW_TEXT_MAX + 1];
        if (outlen <= sizeof again) {
                int w2 = view_sanitize(out, again, sizeof again);
                if (w2 != w || strcmp(again, out) != 0)
                        abort(); /* sanitising is idempotent */
        }
        char fit[VIEW_TEXT_MAX + 8];
        int fw = view_fit(out, cols, fit, sizeof fit);
        if (fw < 0 || fw > (cols > 0 ? cols : 0) || fw != view_width(fit) ||
            clean_text((const unsigned char *)fit) || strlen(fit) >= sizeof fit)
                abort();
        if (cols > 0 && w <= cols && outlen + 4 <= sizeof fit && strcmp(fit, out) != 0)
                abort(); /* what fits is not cut */
        /* untrusted text straight into view_fit and view_width: no crash */
        char raw[64];
        view_fit(in, cols, raw, (size_t)data[1] % sizeof raw);
        (void)view_width(in);
        free(out);
        free(in);
        return 0;
}
