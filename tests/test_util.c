/* util: text_sanitize, text_fold, time_parse/time_format, parse_int64/parse_double.
 * Expected values are worked out from docs/semantics.md §2 and util.h by hand. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

#define FFFD "\xef\xbf\xbd"

static void sanitize_is(const char *in, size_t max, const char *want, const char *what)
{
        char *got = text_sanitize(in, max);
        is_str(got, want, "text_sanitize: %s", what);
        free(got);
}

/* 1 when s is valid UTF-8 without C0/DEL/C1 control characters. */
static int clean_utf8(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                unsigned c = *p;
                size_t len = c < 0x80             ? 1
                             : (c & 0xe0) == 0xc0 ? 2
                             : (c & 0xf0) == 0xe0 ? 3
                             : (c & 0xf8) == 0xf0 ? 4
                                                  : 0;
                if (len == 0)
                        return 0;
                uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
                for (size_t i = 1; i < len; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return 0;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
                if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return 0;
                if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
                        return 0;
                p += len;
        }
        return 1;
}

/* Ten invalid bytes become ten U+FFFD (30 bytes). Run in a child process: an
 * implementation that writes past its buffer must not take the whole test down.
 * glibc's malloc_usable_size tells a silent overflow in a build without a memory
 * checker (under ASan or valgrind the write itself is reported). */
static int expand_child(void)
{
        char *got = text_sanitize("\xff\xfe\xff\xfe\xff\xfe\xff\xfe\xff\xfe", 256);
        if (strlen(got) + 1 > malloc_usable_size(got))
                _exit(2);
        int good = strcmp(got, FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD) == 0;
        free(got);
        got = text_sanitize("\x80", 256);
        good = good && strcmp(got, FFFD) == 0;
        free(got);
        return good ? 0 : 1;
}

static int in_child(int (*fn)(void))
{
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return 0;
        if (pid == 0)
                _exit(fn());
        int st;
        if (waitpid(pid, &st, 0) != pid)
                return 0;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int check_overlong(const char *got)
{
        return clean_utf8(got) && strncmp(got, "over" FFFD, 7) == 0 &&
               strcmp(got + strlen(got) - 4, "long") == 0 && !strchr(got, '\xc0');
}

static int check_surrogate(const char *got)
{
        return clean_utf8(got) && got[0] == 's' && strstr(got, FFFD) && !strstr(got, "\xed\xa0") &&
               got[strlen(got) - 1] == 'u';
}

static int check_truncated(const char *got)
{
        return clean_utf8(got) && strncmp(got, "ab" FFFD, 5) == 0;
}

static int check_above(const char *got)
{
        return clean_utf8(got) && strncmp(got, FFFD, 3) == 0 && !strchr(got, '\xf4');
}

/* text_sanitize(in, 256) in a child process; 1 when check() accepts the result. */
static int sanitize_in_child(const char *in, int (*check)(const char *got))
{
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return 0;
        if (pid == 0) {
                char *got = text_sanitize(in, 256);
                int good = check(got);
                free(got);
                _exit(good ? 0 : 1);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid)
                return 0;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_sanitize(void)
{
        sanitize_is("plain text", 256, "plain text", "plain ASCII unchanged");
        sanitize_is("", 256, "", "empty");
        sanitize_is("a\x1b[31mred\x1b[0m", 256, "a[31mred[0m", "ESC removed");
        sanitize_is("ding\x07!", 256, "ding!", "BEL removed");
        /* issue 11 item 8: bidi controls reorder what a reader sees */
        sanitize_is("a\xe2\x80\xae"
                    "b\xe2\x80\xaa"
                    "c\xe2\x80\xac"
                    "d",
                    256, "abcd", "U+202E, U+202A, U+202C removed");
        sanitize_is("\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8ey\xe2\x80\x8f", 256, "xy",
                    "U+2066, U+2069, U+200E, U+200F removed");
        sanitize_is("\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xaa", 256,
                    "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xaa",
                    "neighbours kept: U+200D (joiner), U+202F, U+206A");
        sanitize_is("a\x7f"
                    "b",
                    256, "ab", "DEL removed");
        sanitize_is("tab\there\nnl\rcr", 256, "tabherenlcr", "TAB, LF, CR (C0) removed");
        sanitize_is("a\xc2\x9b"
                    "31mb",
                    256, "a31mb", "C1 CSI U+009B removed");
        sanitize_is("x\xc2\x80y\xc2\x85z\xc2\x9f", 256, "xyz", "C1 U+0080, U+0085, U+009F removed");
        sanitize_is("nb\xc2\xa0sp", 256, "nb\xc2\xa0sp", "U+00A0 is not a control: kept");
        sanitize_is("Gen\xc3\xa8ve \xe2\x82\xac \xf0\x9f\x98\x80", 256,
                    "Gen\xc3\xa8ve \xe2\x82\xac \xf0\x9f\x98\x80",
                    "valid 2-, 3-, 4-byte UTF-8 kept");
        sanitize_is("a\xff"
                    "b",
                    256, "a" FFFD "b", "invalid byte 0xFF -> U+FFFD");
        sanitize_is("a\x80"
                    "b",
                    256, "a" FFFD "b", "lone continuation byte -> U+FFFD");

        /* Two or more invalid bytes expand (1 byte -> 3) beyond the input's length + 4:
         * checked in a child process, so that a buffer overflow in text_sanitize cannot
         * take the whole test down (a memory checker still reports it). */
        ok(sanitize_in_child("over\xc0\xaflong", check_overlong),
           "overlong encoding of '/' replaced, text around kept");
        ok(sanitize_in_child("s\xed\xa0\x80u", check_surrogate),
           "UTF-16 surrogate U+D800 replaced");
        ok(sanitize_in_child("ab\xe2\x82", check_truncated), "truncated sequence at the end");
        ok(sanitize_in_child("\xf4\x90\x80\x80", check_above),
           "code point above U+10FFFF replaced");

        /* cut at max bytes on a character boundary */
        sanitize_is("abcdef", 4, "abcd", "cut at 4 bytes");
        sanitize_is("abc\xc3\xa9", 5, "abc\xc3\xa9", "2-byte char ending exactly at max kept");
        sanitize_is("abcd\xc3\xa9", 5, "abcd", "2-byte char crossing max dropped whole");
        sanitize_is("a\xe2\x82\xac\xe2\x82\xac", 6, "a\xe2\x82\xac", "euro sign not split");
        sanitize_is("a\xf0\x9f\x98\x80", 4, "a", "4-byte emoji not split");
        sanitize_is("ab\xff", 4, "ab", "U+FFFD (3 bytes) not split either");
        sanitize_is("\x1b\x1b\x1b"
                    "abc",
                    3, "abc", "removed controls take no room");

        char big[600];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        char *got = text_sanitize(big, CAPMON_TEXT_MAX);
        is_int(strlen(got), 256, "CAPMON_TEXT_MAX is 256 bytes");
        free(got);
        memset(big, 0, sizeof big);
        for (int i = 0; i < 200; i++)
                memcpy(big + 2 * i, "\xc3\xa9", 2); /* 200 x é = 400 bytes */
        got = text_sanitize(big, 255);
        is_int(strlen(got), 254, "odd max: 127 two-byte characters (254 bytes)");
        ok(clean_utf8(got), "cut text is still valid UTF-8");
        free(got);

        ok(in_child(expand_child), "10 invalid bytes -> 10 x U+FFFD (30 bytes) without overflow");
}

static void fold_is(const char *in, const char *want, const char *what)
{
        char out[256];
        text_fold(in, out, sizeof out);
        is_str(out, want, "text_fold: %s", what);
}

static void test_fold(void)
{
        fold_is("France", "france", "ASCII lower-cased");
        fold_is("C\xc3\xb4te d'Ivoire", "cote d'ivoire", "o circumflex");
        fold_is("\xc3\x89TATS-UNIS", "etats-unis", "capital E acute");
        fold_is("Stra\xc3\x9f"
                "e",
                "strasse", "sharp s -> ss");
        fold_is("\xc5\x92uvre c\xc5\x93ur", "oeuvre coeur", "oe ligature, both cases");
        fold_is("\xc3\x86r\xc3\xb8", "aero", "ae ligature and o slash");
        fold_is("\xc5\x81\xc3\xb3\x64\xc5\xba", "lodz", "Polish L stroke, o acute, z acute");
        fold_is("\xc3\x91\x61nd\xc3\xba", "nandu", "N tilde, u acute");
        fold_is("T\xc3\xbcrkiye", "turkiye", "u diaeresis");
        fold_is("Bucure\xc5\x9fti Bucure\xc8\x99ti", "bucuresti bucuresti",
                "s cedilla and s comma below");
        fold_is("Cote d\xe2\x80\x99Ivoire", "cote d'ivoire", "right single quote -> apostrophe");
        fold_is("  Hello \t  World\n ", "hello world", "white space folded and trimmed");
        fold_is("a\xc2\xa0\xc2\xa0"
                "b\xe2\x80\xaf"
                "c",
                "a b c", "no-break spaces are white space");
        fold_is("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac", "CJK kept as is");
        fold_is("\xef\xbc\xa6\xef\xbd\x92\xef\xbd\x81\xef\xbd\x8e\xef\xbd\x83\xef\xbd\x85",
                "france", "full-width letters (NFKD compatibility forms)");
        fold_is("\xd0\xa0\xd0\x9e\xd0\xa1\xd0\xa1\xd0\x98\xd0\xaf",
                "\xd1\x80\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f", "Cyrillic case folded");
        fold_is("\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91",
                "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1", "Greek case folded");
        fold_is("Vi\xe1\xbb\x87t Nam", "viet nam", "e with circumflex and dot below");
        fold_is("\xd8\xa7\xd9\x84\xd8\xb5\xd9\x91\xd9\x8a\xd9\x86",
                "\xd8\xa7\xd9\x84\xd8\xb5\xd9\x8a\xd9\x86", "Arabic shadda dropped");
        fold_is("\xef\xac\x81le", "file", "fi ligature (compatibility)");
        fold_is("a\xff"
                "b",
                "ab", "an invalid byte is skipped");
        fold_is("", "", "empty");
        fold_is("   ", "", "only white space");

        char out[8];
        text_fold("abcdefghijkl", out, sizeof out);
        ok(strlen(out) < sizeof out && strncmp(out, "abcdefghijkl", strlen(out)) == 0,
           "small output buffer: a NUL-terminated prefix");
        out[0] = 'Z';
        text_fold("abc", out, 0);
        is_int(out[0], 'Z', "len 0 writes nothing");

        ok(text_contains_ci("Left: Disconnected!", "disconnected"), "text_contains_ci: case");
        ok(!text_contains_ci("abc", "abcd"), "text_contains_ci: longer needle");
        ok(text_contains_ci("abc", ""), "text_contains_ci: empty needle");
}

static void parse_is(const char *s, int64_t want, const char *what)
{
        is_int(time_parse(s), want, "time_parse(\"%s\"): %s", s, what);
}

static void test_time(void)
{
        /* 2021-06-08: 51 years after 1970 with 13 leap days, then 151 + 7 days:
         * 18786 days = 1623110400 s; 12:41:07 = 45667 s. */
        const int64_t t0 = 1623156067120LL;
        parse_is("2021-06-08T12:41:07.120Z", t0, "UTC with milliseconds");
        parse_is("2021-06-08T12:41:07Z", t0 - 120, "UTC, whole seconds");
        parse_is("2021-06-08T12:41:07.12Z", t0, "two-digit fraction");
        parse_is("2021-06-08T12:41:07.1Z", t0 - 20, "one-digit fraction");
        parse_is("2021-06-08T12:41:07.120999Z", t0, "microseconds truncated");
        parse_is("2021-06-08T12:41:07,5Z", t0 + 380, "comma fraction");
        parse_is("2021-06-08T14:41:07.120+02:00", t0, "+02:00 offset");
        parse_is("2021-06-08T18:11:07.120+05:30", t0, "+05:30 offset");
        parse_is("2021-06-08T04:41:07.120-08:00", t0, "-08:00 offset");
        parse_is("2021-06-08T04:41:07.120-0800", t0, "-0800 offset without colon");
        parse_is("2021-06-08T12:41:07.120+00:00", t0, "+00:00 offset");
        parse_is("2021-06-08T00:00:00Z", 1623110400000LL, "midnight");
        parse_is("1970-01-01T00:00:00Z", 0, "epoch");
        parse_is("1969-12-31T23:59:59.999Z", -1, "one ms before the epoch");
        parse_is("2024-02-29T00:00:00Z", 1709164800000LL, "leap day 2024");
        parse_is("2000-02-29T12:00:00Z", 951825600000LL, "leap day 2000 (divisible by 400)");

        parse_is("", TIME_NONE, "empty");
        parse_is("yesterday", TIME_NONE, "not a date");
        parse_is("21-06-08T12:41:07Z", TIME_NONE, "two-digit year");
        parse_is("2021-6-8T12:41:07Z", TIME_NONE, "one-digit month and day");
        parse_is("2021-13-01T00:00:00Z", TIME_NONE, "month 13");
        parse_is("2021-00-10T00:00:00Z", TIME_NONE, "month 0");
        parse_is("2021-06-00T00:00:00Z", TIME_NONE, "day 0");
        parse_is("2021-06-32T00:00:00Z", TIME_NONE, "day 32");
        parse_is("2021-06-08T25:00:00Z", TIME_NONE, "hour 25");
        parse_is("2021-06-08T12:61:00Z", TIME_NONE, "minute 61");
        parse_is("2021-06-08T12", TIME_NONE, "hour without minutes");
        parse_is("2021-06-08T12:41:07.Z", TIME_NONE, "fraction without digits");
        parse_is("2021-06-08T12:41:07+", TIME_NONE, "offset without digits");
        parse_is("2021-06-08T12:41:07Q", TIME_NONE, "unknown zone letter");
        parse_is("2021-06-08T12:41:07Z ", TIME_NONE, "trailing space");
        parse_is("2021-06-08T12:41:07Zjunk", TIME_NONE, "trailing text");
        parse_is("2021-02-30T00:00:00Z", TIME_NONE, "30 February");
        parse_is("2021-04-31T00:00:00Z", TIME_NONE, "31 April");
        parse_is("2023-02-29T00:00:00Z", TIME_NONE, "29 February of a common year");
        parse_is("2100-02-29T00:00:00Z", TIME_NONE, "29 February 2100 (not a leap year)");

        char buf[40];
        time_format(t0, buf, sizeof buf);
        is_str(buf, "2021-06-08T12:41:07.120Z", "time_format of a known instant");
        time_format(0, buf, sizeof buf);
        is_str(buf, "1970-01-01T00:00:00.000Z", "time_format(0)");
        time_format(-1, buf, sizeof buf);
        is_str(buf, "1969-12-31T23:59:59.999Z", "time_format(-1)");
        /* the int64 limits (UBSan: no overflow on the way) */
        time_format(INT64_MAX, buf, sizeof buf);
        is_str(buf, "invalid", "time_format(INT64_MAX): past year 9999, invalid");
        time_format(INT64_MIN, buf, sizeof buf);
        is_str(buf, "invalid", "time_format(INT64_MIN): invalid");
        time_format(INT64_MIN + 1, buf, sizeof buf);
        is_str(buf, "invalid", "time_format(INT64_MIN + 1): invalid");
        time_format(253402300799999LL, buf, sizeof buf);
        is_str(buf, "9999-12-31T23:59:59.999Z", "the last millisecond of year 9999");
        time_format(253402300800000LL, buf, sizeof buf);
        is_str(buf, "invalid", "year 10000: invalid (RFC 3339 has four-digit years)");
        time_format(-62167219200000LL, buf, sizeof buf);
        is_str(buf, "0000-01-01T00:00:00.000Z", "the first millisecond of year 0");
        time_format(-62167219200001LL, buf, sizeof buf);
        is_str(buf, "invalid", "before year 0: invalid");
        is_int(time_add(INT64_MAX, 1), INT64_MAX, "time_add saturates up");
        is_int(time_add(INT64_MIN + 1, -5), INT64_MIN, "time_add saturates down");
        is_int(time_add(1000, -300), 700, "time_add adds");
        time_format(1709164800000LL + 86399999, buf, sizeof buf);
        is_str(buf, "2024-02-29T23:59:59.999Z", "time_format: end of a leap day");

        static const int64_t trip[] = {0,
                                       1,
                                       -1,
                                       999,
                                       -1000,
                                       -1001,
                                       1623156067120LL,
                                       1709164800000LL,
                                       951825600000LL,
                                       4102444799999LL,    /* 2099-12-31T23:59:59.999 */
                                       253402300799999LL,  /* 9999-12-31T23:59:59.999 */
                                       -62135596800000LL}; /* 0001-01-01T00:00:00 */
        for (size_t i = 0; i < sizeof trip / sizeof trip[0]; i++) {
                time_format(trip[i], buf, sizeof buf);
                is_int(time_parse(buf), trip[i], "round trip %lld via %s", (long long)trip[i], buf);
        }
        time_format(253402300799999LL, buf, sizeof buf);
        is_str(buf, "9999-12-31T23:59:59.999Z", "time_format of the last ms of year 9999");
        time_format(-62135596800000LL, buf, sizeof buf);
        is_str(buf, "0001-01-01T00:00:00.000Z", "time_format of the first ms of year 1");
}

static void test_numbers(void)
{
        int64_t v = 42;
        ok(parse_int64("0", &v) == 0 && v == 0, "parse_int64 \"0\"");
        ok(parse_int64("-17", &v) == 0 && v == -17, "parse_int64 \"-17\"");
        ok(parse_int64("1623156067120", &v) == 0 && v == 1623156067120LL, "parse_int64 epoch ms");
        ok(parse_int64("9223372036854775807", &v) == 0 && v == INT64_MAX, "parse_int64 INT64_MAX");
        ok(parse_int64("-9223372036854775808", &v) == 0 && v == INT64_MIN, "parse_int64 INT64_MIN");
        v = 42;
        ok(parse_int64("9223372036854775808", &v) != 0, "parse_int64 overflow rejected");
        ok(parse_int64("-9223372036854775809", &v) != 0, "parse_int64 underflow rejected");
        ok(parse_int64("", &v) != 0, "parse_int64 empty rejected");
        ok(parse_int64("-", &v) != 0, "parse_int64 lone sign rejected");
        ok(parse_int64(" 5", &v) != 0, "parse_int64 leading space rejected");
        ok(parse_int64("5 ", &v) != 0, "parse_int64 trailing space rejected");
        ok(parse_int64("12a", &v) != 0, "parse_int64 trailing letter rejected");
        ok(parse_int64("1.5", &v) != 0, "parse_int64 fraction rejected");
        ok(parse_int64("1e3", &v) != 0, "parse_int64 exponent rejected");
        ok(parse_int64("0x10", &v) != 0, "parse_int64 hexadecimal rejected");
        is_int(v, 42, "parse_int64 leaves *out alone on failure");

        double d = 7;
        ok(parse_double("1.5", &d) == 0 && d == 1.5, "parse_double \"1.5\"");
        ok(parse_double("-0.25", &d) == 0 && d == -0.25, "parse_double \"-0.25\"");
        ok(parse_double("300", &d) == 0 && d == 300, "parse_double integer text");
        ok(parse_double("1e3", &d) == 0 && d == 1000, "parse_double exponent");
        ok(parse_double(".5", &d) == 0 && d == 0.5, "parse_double leading dot");
        d = 7;
        ok(parse_double("", &d) != 0, "parse_double empty rejected");
        ok(parse_double(" 1", &d) != 0, "parse_double leading space rejected");
        ok(parse_double("1 ", &d) != 0, "parse_double trailing space rejected");
        ok(parse_double("1.5s", &d) != 0, "parse_double unit suffix rejected");
        ok(parse_double("abc", &d) != 0, "parse_double letters rejected");
        ok(parse_double("1e999", &d) != 0, "parse_double overflow rejected");
        is_double(d, 7, "parse_double leaves *out alone on failure");
        ok(parse_double("0x10", &d) != 0, "parse_double hexadecimal rejected (not decimal)");
        ok(parse_double("inf", &d) != 0, "parse_double \"inf\" rejected (not a decimal number)");
        ok(parse_double("nan", &d) != 0, "parse_double \"nan\" rejected (not a decimal number)");
}

static void test_tz_name(void)
{
        static const char *const good[] = {"Europe/Zurich", "America/Argentina/Buenos_Aires",
                                           "Etc/GMT+3",     "Etc/GMT-14",
                                           "UTC",           "America/Port-au-Prince"};
        static const char *const bad[] = {"",
                                          "/etc/passwd",
                                          "../../etc/passwd",
                                          "Europe/../../x",
                                          "Europe/Zurich ",
                                          "Europe\\Zurich",
                                          "Asia/Tōkyō",
                                          "CET-1CEST,M3.5.0,M10.5.0/3",
                                          ":Europe/Zurich",
                                          "Europe/Zurich;x"};
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
                ok(tz_name_valid(good[i]), "time zone \"%s\" accepted", good[i]);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                ok(!tz_name_valid(bad[i]), "time zone \"%s\" refused", bad[i]);
        ok(!tz_name_valid("Europe/Zurich\n") && !tz_name_valid("Europe/Zurich\x1b[2J"),
           "a zone name with a control character refused");
        char longest[CAPMON_TZ_MAX + 1];
        memset(longest, 'a', sizeof longest);
        longest[CAPMON_TZ_MAX - 1] = '\0';
        ok(tz_name_valid(longest), "a %d-byte zone name accepted", CAPMON_TZ_MAX - 1);
        longest[CAPMON_TZ_MAX - 1] = 'a';
        longest[CAPMON_TZ_MAX] = '\0';
        ok(!tz_name_valid(longest), "a %d-byte zone name refused", CAPMON_TZ_MAX);
}

int main(void)
{
        test_tz_name();
        test_sanitize();
        test_fold();
        test_time();
        test_numbers();
        return done_testing();
}
