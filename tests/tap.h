/* A tiny TAP (Test Anything Protocol) producer for the unit tests. The state lives
 * in tap.c, which is compiled into every test binary. */
#ifndef CAPMON_TAP_H
#define CAPMON_TAP_H

#include <stdint.h>

/* Announce the number of tests (optional: done_testing() prints a trailing plan). */
void plan(int n);

/* Each returns the condition (1 pass, 0 fail) and prints one "ok"/"not ok" line. */
int ok_at(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int is_int_at(int64_t got, int64_t want, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int is_str_at(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int is_double_at(double got, double want, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define ok(cond, ...) ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                                     \
        is_int_at((int64_t)(got), (int64_t)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) is_str_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_double(got, want, ...)                                                                  \
        is_double_at((double)(got), (double)(want), __FILE__, __LINE__, __VA_ARGS__)

/* A "# comment" line on standard output. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Tests between todo_start() and todo_end() carry a "# TODO reason" directive: a
 * known bug, reported and awaiting a fix. Their failures do not fail the binary. */
void todo_start(const char *reason);
void todo_end(void);

/* Prints the plan if none was given; returns the exit status (0 when every test
 * outside a TODO passed and the plan, if any, was met). */
int done_testing(void);

#endif
