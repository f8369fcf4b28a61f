/* Small helpers shared by the core: allocation, bounded strings, time, UTF-8. */
#ifndef CAPMON_UTIL_H
#define CAPMON_UTIL_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CAPMON_TEXT_MAX 256       /* bytes kept of any untrusted display text */
#define TIME_NONE       INT64_MIN /* "no time" marker for event times */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* snprintf that never overflows; returns 0, or -1 when the text was cut. */
int xsnprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* getline() with a bound, for files capmon is given (a roster, a secret, a relay
 * log): the line, with its '\n', in *line (NUL-terminated; *cap grows up to
 * max + 1). -1 at the end of the file or on an error (ferror), -2 when the line
 * is longer than max bytes (not read further: `--roster /dev/zero` costs max). */
ssize_t getline_max(char **line, size_t *cap, FILE *f, size_t max);

/* Copy of untrusted text: C0/DEL/C1 control characters and bidirectional
 * controls removed, invalid UTF-8 replaced by U+FFFD, cut at max bytes on a
 * character boundary. */
char *text_sanitize(const char *s, size_t max);

/* One UTF-8 character at s (n bytes left): its code point and byte length, or -1
 * (length 1) for a byte that starts no valid, shortest-form character. */
int32_t utf8_next(const unsigned char *s, size_t n, size_t *len);

/* Fold for matching: lower case, Latin accents removed, runs of white space made
 * one space, trimmed. Writes at most len-1 bytes into out. */
void text_fold(const char *s, char *out, size_t len);

/* A plausible IANA time zone name ("Europe/Zurich", "America/Argentina/Buenos_Aires",
 * "Etc/GMT+3", "UTC"), safe to put in TZ: 1 to CAPMON_TZ_MAX - 1 bytes of ASCII
 * letters, digits, '/', '_', '-' and '+', not starting with '/', without "..".
 * Says nothing of whether the system knows the zone. */
#define CAPMON_TZ_MAX 64
int tz_name_valid(const char *s);

/* Case-insensitive ASCII substring search. */
int text_contains_ci(const char *hay, const char *needle);

/* a + b saturated at INT64_MIN/INT64_MAX, for times that come from untrusted input. */
int64_t time_add(int64_t a, int64_t b);

/* Epoch ms -> "2021-06-08T12:41:07.120Z" (buf >= 32 bytes); "invalid" outside the
 * years 0000-9999. */
void time_format(int64_t ms, char *buf, size_t len);
/* A JSON real as an event time in ms (cut to an integer); TIME_NONE when out of range. */
int64_t time_of_real(double v);
/* ISO 8601 / RFC 3339 -> epoch ms; TIME_NONE when it does not parse. */
int64_t time_parse(const char *s);

/* Strict decimal integer parse of the whole string; 0 on success. */
int parse_int64(const char *s, int64_t *out);
/* Strict decimal number parse of the whole string; 0 on success. */
int parse_double(const char *s, double *out);

/* JSON helpers for snapshots and reports: RFC 3339 time or null, string or null. */
json_t *json_time_or_null(int64_t t);
json_t *json_str_or_null(const char *s);

uint64_t hash_fnv1a(uint64_t h, const void *data, size_t len);
#define FNV_OFFSET 0xcbf29ce484222325ULL

#endif
