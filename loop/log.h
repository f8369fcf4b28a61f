/* capmon's own log: one line per message, each with its time and level, as text
 * ("capmon watch: 2026-03-10T08:00:00.000Z info: connected to ...") or JSON
 * ({"time":...,"level":...,"program":...,"message":...}), on standard error or
 * appended to a file that SIGHUP reopens (logrotate). Process-wide, like a
 * process's standard error: each line is one write(2), so threads may log too. */
#ifndef CAPMON_LOG_H
#define CAPMON_LOG_H

#include <stddef.h>

typedef enum LogLevel { LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG } LogLevel;
typedef enum LogFormat { LOG_TEXT, LOG_JSON } LogFormat;

/* Log as program ("capmon relay") to path (appended, created 0644), or to standard
 * error when path is NULL. 0, or -1 with a message in err. */
int Log_open(const char *program, const char *path, LogFormat format, char *err, size_t errlen);
/* 1 while a log is open. */
int Log_is_open(void);
/* While set, lines meant for standard error are dropped (the dashboard owns the
 * terminal); a log file still gets them. */
void Log_set_quiet(int quiet);
/* Open the file again under its name (after logrotate moved it away). Async-signal
 * safe: a SIGHUP handler may call it; the next line says the log was reopened. */
void Log_reopen(void);
/* One message (cut at 1 KiB; control characters replaced). */
void Log_line(LogLevel level, const char *msg);
void Log_printf(LogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A message from code that logs plain lines: "error: ", "warning: " and "debug: "
 * prefixes give the level (and are dropped); otherwise a line that says something
 * failed, was refused or lost is a warning, anything else info. */
void Log_text(const char *msg);
/* A libwebsockets log line (its LLL_* level), prefixed "lws: "; notices (the
 * banner) are debug lines, which only a log file gets. */
void Log_lws(int lws_level, const char *line);
void Log_close(void);

#endif
