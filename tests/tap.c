#include "tap.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct {
        int planned; /* -1: no plan yet */
        int run;
        int failed; /* failures outside TODO blocks */
        const char *todo;
} tap = {-1, 0, 0, NULL};

void plan(int n)
{
        tap.planned = n;
        printf("1..%d\n", n);
        fflush(stdout);
}

static int report(int cond, const char *file, int line, const char *fmt, va_list ap)
{
        tap.run++;
        printf("%sok %d - ", cond ? "" : "not ", tap.run);
        vprintf(fmt, ap);
        if (tap.todo)
                printf(" # TODO %s", tap.todo);
        putchar('\n');
        if (!cond) {
                printf("#   Failed %stest at %s line %d.\n", tap.todo ? "(TODO) " : "", file, line);
                if (!tap.todo)
                        tap.failed++;
        }
        fflush(stdout);
        return cond;
}

int ok_at(int cond, const char *file, int line, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        report(cond, file, line, fmt, ap);
        va_end(ap);
        return cond;
}

int is_int_at(int64_t got, int64_t want, const char *file, int line, const char *fmt, ...)
{
        va_list ap;
        int cond = got == want;
        va_start(ap, fmt);
        report(cond, file, line, fmt, ap);
        va_end(ap);
        if (!cond)
                printf("#          got: %lld\n#     expected: %lld\n", (long long)got,
                       (long long)want);
        return cond;
}

static void print_str(const char *label, const char *s)
{
        printf("# %12s: ", label);
        if (!s) {
                puts("NULL");
                return;
        }
        putchar('"');
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
                        printf("\\x%02x", *p);
                else
                        putchar(*p);
        }
        puts("\"");
}

int is_str_at(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
{
        va_list ap;
        int cond = (got && want) ? strcmp(got, want) == 0 : got == want;
        va_start(ap, fmt);
        report(cond, file, line, fmt, ap);
        va_end(ap);
        if (!cond) {
                print_str("got", got);
                print_str("expected", want);
        }
        return cond;
}

int is_double_at(double got, double want, const char *file, int line, const char *fmt, ...)
{
        va_list ap;
        int cond = got == want || (isnan(got) && isnan(want)) ||
                   fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want));
        va_start(ap, fmt);
        report(cond, file, line, fmt, ap);
        va_end(ap);
        if (!cond)
                printf("#          got: %.17g\n#     expected: %.17g\n", got, want);
        return cond;
}

void diag(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("# ", stdout);
        vprintf(fmt, ap);
        putchar('\n');
        va_end(ap);
        fflush(stdout);
}

void todo_start(const char *reason)
{
        tap.todo = reason;
}

void todo_end(void)
{
        tap.todo = NULL;
}

int done_testing(void)
{
        if (tap.planned < 0) {
                printf("1..%d\n", tap.run);
        } else if (tap.planned != tap.run) {
                printf("# planned %d tests but ran %d\n", tap.planned, tap.run);
                fflush(stdout);
                return 1;
        }
        if (tap.failed)
                printf("# failed %d of %d tests\n", tap.failed, tap.run);
        fflush(stdout);
        return tap.failed ? 1 : 0;
}
