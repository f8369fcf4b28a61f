#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

static void oom(void)
{
        fputs("capmon: out of memory\n", stderr);
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n ? n : 1);
        if (!q)
                oom();
        return q;
}

char *xstrdup(const char *s)
{
        return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
        char *p = xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

int xsnprintf(char *buf, size_t len, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, len, fmt, ap);
        va_end(ap);
        if (n < 0) {
                if (len)
                        buf[0] = '\0';
                return -1;
        }
        return (size_t)n >= len ? -1 : 0;
}

int32_t utf8_next(const unsigned char *s, size_t n, size_t *len)
{
        *len = 1;
        if (s[0] < 0x80)
                return s[0];
        int k = s[0] >= 0xF0 ? 3 : s[0] >= 0xE0 ? 2 : s[0] >= 0xC2 ? 1 : 0;
        if (k == 0 || s[0] > 0xF4 || (size_t)k >= n)
                return -1;
        int32_t cp = s[0] & (0x3F >> k);
        for (int i = 1; i <= k; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return -1;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        static const int32_t min[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return -1;
        *len = (size_t)k + 1;
        return cp;
}

/* utf8_next as (length, code point): 0 for a byte that starts no valid character. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
        size_t len;
        int32_t c = utf8_next(s, n, &len);
        if (c < 0)
                return 0;
        *cp = (uint32_t)c;
        return len;
}

json_t *json_time_or_null(int64_t t)
{
        char buf[40];
        if (t == TIME_NONE)
                return json_null();
        time_format(t, buf, sizeof buf);
        return json_string(buf);
}

json_t *json_str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

ssize_t getline_max(char **line, size_t *cap, FILE *f, size_t max)
{
        size_t n = 0;
        int c;
        while ((c = getc_unlocked(f)) != EOF) {
                if (n == max) {
                        (*line)[n] = '\0';
                        return -2;
                }
                if (n + 2 > *cap) {
                        size_t nc = *cap ? *cap * 2 : 256;
                        *cap = nc > max + 1 ? max + 1 : nc;
                        *line = xrealloc(*line, *cap);
                }
                (*line)[n++] = (char)c;
                if (c == '\n')
                        break;
        }
        if (n == 0)
                return -1;
        (*line)[n] = '\0';
        return (ssize_t)n;
}

char *text_sanitize(const char *s, size_t max)
{
        size_t n = strlen(s);
        /* an invalid byte becomes the 3 bytes of U+FFFD */
        char *out = xmalloc((n < max / 3 ? n * 3 : max) + 4);
        size_t o = 0;
        const unsigned char *p = (const unsigned char *)s;
        while (n > 0) {
                uint32_t cp;
                size_t len = utf8_decode(p, n, &cp);
                const char *src = (const char *)p;
                size_t take = len;
                if (len == 0) { /* invalid byte: U+FFFD */
                        src = "\xef\xbf\xbd";
                        take = 3;
                        len = 1;
                } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
                        take = 0; /* control character: dropped */
                } else if (cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
                           (cp >= 0x2066 && cp <= 0x2069)) {
                        take = 0; /* bidirectional mark, embedding, override or isolate */
                }
                if (o + take > max)
                        break;
                memcpy(out + o, src, take);
                o += take;
                p += len;
                n -= len;
        }
        out[o] = '\0';
        return out;
}

/* Base letter of a Latin-1 / Latin Extended-A code point, or 0. */
static char latin_base(uint32_t c)
{
        static const char l1[] = /* U+00C0 .. U+00FF */
            "aaaaaaaceeeeiiii"
            "dnooooo\0ouuuuyts"
            "aaaaaaaceeeeiiii"
            "dnooooo\0ouuuuyty";
        static const char ext[] = /* U+0100 .. U+017F */
            "aaaaaaccccccccdd"
            "ddeeeeeeeeeegggg"
            "gggghhhhiiiiiiii"
            "iijjjjkkklllllll"
            "lllnnnnnnnnnoooo"
            "oooorrrrrrssssss"
            "ssttttttuuuuuuuu"
            "uuuuwwyyyzzzzzzs";
        if (c >= 0xc0 && c <= 0xff)
                return l1[c - 0xc0];
        if (c >= 0x100 && c <= 0x17f)
                return ext[c - 0x100];
        if (c == 0x219 || c == 0x218)
                return 's'; /* ș (Romanian) */
        if (c == 0x21b || c == 0x21a)
                return 't'; /* ț */
        return 0;
}

/* Folding for matching (docs/semantics.md, "Delegations"): libunistring's
 * full case folding with compatibility decomposition (NFKD: full-width and other
 * compatibility forms become their plain letters), then combining marks
 * (accents, Arabic harakat) dropped, the Latin letters NFKD keeps whole (ø, ł,
 * đ, æ, œ) spelled plainly, typographic apostrophes made plain and white space
 * collapsed. Invalid UTF-8 bytes are skipped. */
void text_fold(const char *s, char *out, size_t len)
{
        if (len == 0)
                return;
        size_t n = strlen(s), v = 0;
        uint8_t stackbuf[1024];
        uint8_t *valid = n < sizeof stackbuf ? stackbuf : xmalloc(n + 1);
        const unsigned char *p = (const unsigned char *)s;
        while (n > 0) { /* u8_casefold refuses invalid input: skip those bytes */
                uint32_t cp;
                size_t l = utf8_decode(p, n, &cp);
                if (l == 0)
                        l = 1;
                else
                        memcpy(valid + v, p, l), v += l;
                p += l;
                n -= l;
        }
        if (v == 0) {
                if (valid != stackbuf)
                        free(valid);
                out[0] = '\0';
                return;
        }
        uint8_t foldbuf[2048];
        size_t fl = sizeof foldbuf;
        uint8_t *f = u8_casefold(valid, v, NULL, UNINORM_NFKD, foldbuf, &fl);
        if (valid != stackbuf)
                free(valid);
        size_t o = 0;
        int space = 0;
        const uint8_t *q = f;
        size_t left = f ? fl : 0;
        while (left > 0 && o + 5 < len) {
                ucs4_t cp;
                int l = u8_mbtouc(&cp, q, left);
                q += l;
                left -= (size_t)l;
                if (uc_is_general_category(cp, UC_CATEGORY_Mn) ||
                    uc_is_general_category(cp, UC_CATEGORY_Me))
                        continue;
                if (uc_is_space(cp) || cp == 0xa0 || cp == 0x202f) {
                        space = 1;
                        continue;
                }
                if (space && o > 0)
                        out[o++] = ' ';
                space = 0;
                char b = latin_base(cp);
                if (cp == 0xe6) { /* æ */
                        out[o++] = 'a';
                        out[o++] = 'e';
                } else if (cp == 0x153) { /* œ */
                        out[o++] = 'o';
                        out[o++] = 'e';
                } else if (b) {
                        out[o++] = b;
                } else if (cp == 0x2019 || cp == 0x2018 || cp == 0x2bc) {
                        out[o++] = '\'';
                } else {
                        int w = u8_uctomb((uint8_t *)out + o, cp, (int)(len - o - 1));
                        if (w > 0)
                                o += (size_t)w;
                }
        }
        out[o] = '\0';
        if (f && f != foldbuf)
                free(f);
}

int tz_name_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n >= CAPMON_TZ_MAX || s[0] == '/' || strstr(s, ".."))
                return 0;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' || c == '+';
                if (!ok)
                        return 0;
        }
        return 1;
}

int text_contains_ci(const char *hay, const char *needle)
{
        size_t nl = strlen(needle);
        if (nl == 0)
                return 1;
        for (; *hay; hay++) {
                size_t i = 0;
                while (i < nl && hay[i] &&
                       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
                        i++;
                if (i == nl)
                        return 1;
        }
        return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

int64_t time_add(int64_t a, int64_t b)
{
        int64_t r;
        if (__builtin_add_overflow(a, b, &r))
                return b > 0 ? INT64_MAX : INT64_MIN;
        return r;
}

void time_format(int64_t ms, char *buf, size_t len)
{
        int64_t secs = ms / 1000, rem = ms % 1000; /* neither can overflow */
        if (rem < 0) {
                rem += 1000;
                secs--;
        }
        int msec = (int)rem;
        time_t t = (time_t)secs;
        struct tm tm;
        /* gmtime_r's tm_year is an int: years far out of range fail or would overflow
         * tm_year + 1900, and RFC 3339 has four-digit years only. */
        if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
                xsnprintf(buf, len, "invalid");
                return;
        }
        xsnprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
}

static int digits(const char **p, int n, int *out)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)**p))
                        return -1;
                v = v * 10 + (**p - '0');
                (*p)++;
        }
        *out = v;
        return 0;
}

int64_t time_of_real(double v)
{
        return v > -9.2e18 && v < 9.2e18 ? (int64_t)v : TIME_NONE;
}

int64_t time_parse(const char *s)
{
        int y, mo, d, h = 0, mi = 0, se = 0;
        const char *p = s;
        if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
            digits(&p, 2, &d))
                return TIME_NONE;
        static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
                return TIME_NONE;
        int64_t frac = 0;
        int64_t off = 0;
        if (*p == 'T' || *p == 't' || *p == ' ') {
                p++;
                if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
                        return TIME_NONE;
                if (*p == ':') {
                        p++;
                        if (digits(&p, 2, &se))
                                return TIME_NONE;
                }
                if (h > 23 || mi > 59 || se > 60)
                        return TIME_NONE;
                if (*p == '.' || *p == ',') {
                        p++;
                        int scale = 100, any = 0;
                        while (isdigit((unsigned char)*p)) {
                                frac += (*p - '0') * scale;
                                scale /= 10;
                                any = 1;
                                p++;
                        }
                        if (!any)
                                return TIME_NONE;
                }
                if (*p == 'Z' || *p == 'z') {
                        p++;
                } else if (*p == '+' || *p == '-') {
                        int sign = *p == '-' ? -1 : 1, oh, om = 0;
                        p++;
                        if (digits(&p, 2, &oh))
                                return TIME_NONE;
                        if (*p == ':')
                                p++;
                        if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
                                return TIME_NONE;
                        off = sign * ((int64_t)oh * 3600 + om * 60) * 1000;
                }
        }
        if (*p != '\0')
                return TIME_NONE;
        int64_t days = days_from_civil(y, mo, d);
        return ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)se * 1000 + frac - off;
}

int parse_int64(const char *s, int64_t *out)
{
        char *end;
        errno = 0;
        if (!*s || isspace((unsigned char)*s))
                return -1;
        long long v = strtoll(s, &end, 10);
        if (errno || *end)
                return -1;
        *out = v;
        return 0;
}

int parse_double(const char *s, double *out)
{
        char *end;
        errno = 0;
        if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
                return -1; /* decimal only: no hex, inf or nan */
        double v = strtod(s, &end);
        if (errno || *end)
                return -1;
        *out = v;
        return 0;
}

uint64_t hash_fnv1a(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;
        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}
