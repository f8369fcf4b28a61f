/* Prometheus metrics: the text exposition format 0.0.4, served at GET /metrics
 * by a listening vhost of its own on an existing lws context (the watch loop's,
 * or the relay's), so scrapes are answered by the same single-threaded loop
 * that owns the state they read (docs/live.md, "Metrics"). */
#ifndef CAPMON_METRICS_H
#define CAPMON_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct lws_context;

/* One exposition document being written. */
typedef struct Prom {
        char *buf;
        size_t len, cap;
} Prom;

void Prom_init(Prom *p);
void Prom_done(Prom *p);
/* "# HELP name help" and "# TYPE name type" (type: gauge, counter, histogram). */
void prom_family(Prom *p, const char *name, const char *type, const char *help);
/* One sample. labels: name, value, name, value, ..., NULL (NULL alone: none).
 * Values are made valid UTF-8 without control characters, then escaped. */
void prom_sample(Prom *p, const char *name, const char *const *labels, double value);

/* The series of a monitor's state (meetings, delegations, join failures,
 * events, alerts), for `capmon watch --metrics`. */
struct Monitor;
void metrics_monitor(Prom *p, const struct Monitor *m);

/* capmon_build_info and the standard process_* series (CPU, memory, fds, start
 * time); every /metrics document ends with them. */
void metrics_process(Prom *p);

/* Fills p with the current document. */
typedef void (*MetricsRenderFn)(void *ud, Prom *p);

typedef struct MetricsServer MetricsServer;

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (127.0.0.1). 0, or -1 with a message. */
int metrics_parse_listen(const char *spec, char **addr, int *port, char *err, size_t errlen);
/* Listen on spec (see metrics_parse_listen) in context cx. NULL with a message. */
MetricsServer *Metrics_listen(struct lws_context *cx, const char *spec, MetricsRenderFn render,
                              void *ud, char *err, size_t errlen);
int Metrics_port(const MetricsServer *s);
/* "http://ADDR:PORT/metrics", for a log line. */
void Metrics_url(const MetricsServer *s, char *buf, size_t len);
/* Closes the listener. Call before the context is destroyed. NULL-safe. */
void Metrics_free(MetricsServer *s);

#endif
