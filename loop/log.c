/* capmon's own log (see log.h). The state is process-wide because the log is: set
 * up once by the command before any thread starts; the descriptor number stays the
 * same for the life of the log, so Log_reopen can swap the file under it with
 * dup2, which is async-signal safe. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#define LOG_MSG_MAX 1024

static int log_fd = -1; /* -1: no log */
static int log_own;     /* log_fd is a file we opened */
static char log_path[4096];
static char log_program[64];
static LogFormat log_format;
static volatile sig_atomic_t log_quiet, log_reopened;

static const char *const LEVEL_NAMES[] = {"error", "warning", "info", "debug"};

int Log_open(const char *program, const char *path, LogFormat format, char *err, size_t errlen)
{
        Log_close();
        snprintf(log_program, sizeof log_program, "%s", program);
        log_format = format;
        if (!path) {
                log_fd = STDERR_FILENO;
                return 0;
        }
        if (strlen(path) >= sizeof log_path) {
                snprintf(err, errlen, "%s: name too long", path);
                return -1;
        }
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                return -1;
        }
        memcpy(log_path, path, strlen(path) + 1);
        log_fd = fd;
        log_own = 1;
        return 0;
}

int Log_is_open(void)
{
        return log_fd >= 0;
}

void Log_set_quiet(int quiet)
{
        log_quiet = quiet;
}

void Log_reopen(void)
{
        if (!log_own)
                return;
        int e = errno; /* a signal handler must not change it */
        int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
                dup2(fd, log_fd); /* keeps FD_CLOEXEC off the copy: set it again */
                fcntl(log_fd, F_SETFD, FD_CLOEXEC);
                close(fd);
                log_reopened = 1;
        }
        errno = e;
}

void Log_close(void)
{
        if (log_own && log_fd >= 0)
                close(log_fd);
        log_fd = -1;
        log_own = 0;
        log_path[0] = '\0';
}

/* msg into out as JSON string content (no quotes), or as text with control
 * characters replaced; always NUL-terminated. */
static void clean(char *out, size_t cap, const char *msg, int json)
{
        size_t o = 0;
        for (const unsigned char *p = (const unsigned char *)msg; *p && o + 7 < cap; p++) {
                if (json && (*p == '"' || *p == '\\')) {
                        out[o++] = '\\';
                        out[o++] = (char)*p;
                } else if (*p < 0x20 || *p == 0x7f) {
                        if (json)
                                o += (size_t)snprintf(out + o, cap - o, "\\u%04x", *p);
                        else
                                out[o++] = '?';
                } else {
                        out[o++] = (char)*p;
                }
        }
        out[o] = '\0';
}

static void emit(LogLevel level, const char *msg)
{
        if (log_fd < 0 || (log_quiet && !log_own) || (level == LOG_DEBUG && !log_own))
                return; /* debug lines go to a log file only */
        char t[80], body[LOG_MSG_MAX * 6 + 8], line[sizeof body + 256];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(ts.tv_nsec / 1000000));
        char cut[LOG_MSG_MAX + 1];
        snprintf(cut, sizeof cut, "%s", msg);
        clean(body, sizeof body, cut, log_format == LOG_JSON);
        int n;
        if (log_format == LOG_JSON)
                n = snprintf(line, sizeof line,
                             "{\"time\":\"%s\",\"level\":\"%s\",\"program\":\"%s\","
                             "\"message\":\"%s\"}\n",
                             t, LEVEL_NAMES[level], log_program, body);
        else
                n = snprintf(line, sizeof line, "%s: %s %s: %s\n", log_program, t,
                             LEVEL_NAMES[level], body);
        if (n < 0)
                return;
        if ((size_t)n >= sizeof line)
                n = (int)sizeof line - 1;
        ssize_t w = write(log_fd, line, (size_t)n); /* one write: lines never mix */
        (void)w;
}

void Log_line(LogLevel level, const char *msg)
{
        if (log_reopened) {
                log_reopened = 0;
                emit(LOG_INFO, "log reopened (SIGHUP)");
        }
        emit(level, msg);
}

void Log_printf(LogLevel level, const char *fmt, ...)
{
        char msg[LOG_MSG_MAX + 1];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        Log_line(level, msg);
}

static int has_word(const char *s, const char *w)
{
        size_t n = strlen(w);
        for (; *s; s++) {
                if (strncasecmp(s, w, n) == 0)
                        return 1;
        }
        return 0;
}

void Log_text(const char *msg)
{
        static const struct {
                const char *prefix;
                LogLevel level;
        } prefixes[] = {{"error: ", LOG_ERROR}, {"warning: ", LOG_WARNING}, {"debug: ", LOG_DEBUG}};
        static const char *const trouble[] = {"fail",        "error",    "refused", "cannot",
                                              "unreachable", "lost",     "dropped", "invalid",
                                              "too many",    "timed out"};
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
                size_t n = strlen(prefixes[i].prefix);
                if (strncmp(msg, prefixes[i].prefix, n) == 0) {
                        Log_line(prefixes[i].level, msg + n);
                        return;
                }
        }
        for (size_t i = 0; i < sizeof trouble / sizeof trouble[0]; i++) {
                if (has_word(msg, trouble[i])) {
                        Log_line(LOG_WARNING, msg);
                        return;
                }
        }
        Log_line(LOG_INFO, msg);
}

void Log_lws(int lws_level, const char *line)
{
        char msg[LOG_MSG_MAX + 1];
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                n--;
        snprintf(msg, sizeof msg, "lws: %.*s", (int)n, line);
        Log_line(lws_level & LLL_ERR    ? LOG_ERROR
                 : lws_level & LLL_WARN ? LOG_WARNING
                                        : LOG_DEBUG, /* notices: the banner, ... */
                 msg);
}
