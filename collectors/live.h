/* Live sources for `capmon watch`: the glue between the sources (relay stream,
 * Zoom WebSocket, webhook receiver, log file) and the Monitor. Applies every
 * message, records it (--record), keeps the clock running on a 1 s tick and
 * measures the two rules the core cannot see: `feed` (a source disconnected or
 * silent) and `lag` (event time behind arrival), through Alerts_external. */
#ifndef CAPMON_LIVE_H
#define CAPMON_LIVE_H

#include <stdint.h>
#include <stdio.h>

#include "evlog.h"
#include "loop.h"
#include "monitor.h"

typedef struct Live Live;

/* One line for the watch log (never the terminal while the dashboard runs). */
typedef void (*LiveLogFn)(void *ud, const char *line);

/* record: --record stream (appended and flushed before each message is applied),
 * or NULL. m, loop and record must outlive the Live. */
Live *Live_new(Monitor *m, Loop *loop, FILE *record, LiveLogFn log, void *ud);
void Live_free(Live *lv);

Monitor *Live_monitor(Live *lv);
Loop *Live_loop(Live *lv);
void Live_logf(Live *lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A source; name is its subject in `feed`/`lag` alerts. silence: whether being
 * silent longer than the configured feed_silence_s is a fault (relay and Zoom
 * streams; not a webhook receiver or a file). Returns its id. */
int Live_source_add(Live *lv, const char *name, int silence);
/* A message of a source (any accepted shape). src tags the records it makes
 * ("relay", "zoom", "webhook", "file"). *seq gets the record's seq (or -1). */
Outcome Live_message(Live *lv, int id, const char *src, const char *text, size_t len, int64_t *seq);
/* Connection state: down raises `feed` at once (a source that never connects,
 * nor fails, raises it after feed_silence_s, on the wall clock); up clears it
 * with the first message, or once the connection has lasted 3 s, so a peer
 * that accepts and closes at once makes one alert instance per outage. */
void Live_connected(Live *lv, int id, int up);
/* The source's last error in words ("token refused by relay", "connection
 * refused", "TLS: certificate not trusted"); cleared once a connection carries
 * traffic or lasts a few seconds. */
void Live_set_error(Live *lv, int id, const char *words);
/* The last error of the first source that is not (yet) working, or NULL: what
 * the dashboard's header shows beside `feed`. */
const char *Live_down_reason(const Live *lv);
/* 1 while at least one source is connected and carrying traffic (not silent, not
 * just reconnected): the figures shown are live; 0: they are stale. */
int Live_live(const Live *lv);
/* Traffic that is not an event (heartbeat, build_connection): not silent. */
void Live_alive(Live *lv, int id);
/* The relay said records were lost: raises `feed` with their count. */
void Live_gap(Live *lv, int id, int64_t from, int64_t to);
/* The relay said it cannot reach its store (up 0, reason: its text) or can
 * again (up 1): while it cannot, no event arrives although the connection is
 * up, and `feed` fires for the instance "<source> (relay store unreachable)"
 * (value: seconds since). A new connection starts with the store reachable. */
void Live_store(Live *lv, int id, int up, const char *reason);
/* The relay said one of its own sources (an RTMS stream it follows, named
 * "rtms <meeting uuid>") is down (up 0, reason: its text) or up again (up 1):
 * `feed` fires for "<source> (relay)", value the seconds since (threshold 0),
 * and resolves when the relay says it is up, or when a new connection is not
 * told within 2 s that it is down. source and reason are sanitised; a source
 * never said down is ignored when up. One log line per change. */
void Live_relay_feed(Live *lv, int id, const char *source, int up, const char *reason);
/* A message that could not be read whole (over the size limit): counted
 * invalid, or skipped as filtered under a meeting filter. */
void Live_count_invalid(Live *lv);
/* A source that ends (a log file at its end) says so; Live_active counts the
 * ones that have not. */
void Live_source_done(Live *lv, int id);
size_t Live_active(const Live *lv);
/* Benchmarks: append "<seq> <epoch us>" for every record with a seq applied. */
void Live_set_trace(Live *lv, FILE *trace);
/* watch --resume: the relay seq the recorded state ends at. Relay stream
 * sources created afterwards start after it, unless their address has since=. */
void Live_set_resume(Live *lv, int64_t seq);
int64_t Live_resume(const Live *lv);
/* watch --meeting: apply only events of these meetings (f is borrowed and
 * must outlive the Live; NULL or empty: everything). Anything else that is
 * an event or invalid is skipped before --record and counted (Live_filtered);
 * messages that are not events (heartbeats, log headers) pass as before.
 * Relay stream sources created afterwards also ask the relay for meeting=ID. */
void Live_set_filter(Live *lv, const MeetingFilter *f);
const MeetingFilter *Live_filter(const Live *lv); /* NULL when none */
uint64_t Live_filtered(const Live *lv);
/* The per-source series of GET /metrics (collectors/metrics.h): connected,
 * reconnects, lag. */
struct Prom;
void Live_metrics(const Live *lv, struct Prom *p);
/* The Zoom OAuth token shared by the Zoom source and the REST client of this
 * Live (collectors/zoom_token.h), made on first use from the environment;
 * NULL with a message in err when credentials are missing. Freed by Live_free. */
struct ZoomToken;
struct ZoomToken *Live_zoom_token(Live *lv, char *err, size_t errlen);
/* Called when a source connects again after being down (events of a Zoom
 * subscription may have been lost meanwhile: reconcile). Optional. */
void Live_on_reconnect(Live *lv, void (*fn)(void *ud, int id), void *ud);
/* The RTMS client shared by the sources that receive webhooks (webhook://,
 * zoom): give it every message (Rtms_offer) so that meeting.rtms_started
 * starts camera counting (collectors/rtms.h). Made on first use; NULL when
 * its credential files cannot be read (said in the log). */
struct Rtms;
struct Rtms *Live_rtms(Live *lv);
/* Called once every source is done (optional). */
void Live_on_all_done(Live *lv, void (*fn)(void *ud), void *ud);

/* ---- sources (each frees itself with Source_free) ---- */
typedef struct Source Source;

/* ws://HOST:PORT[/events][?since=N] or wss://...; token from CAPMON_TOKEN.
 * Several addresses separated by commas (each a full ws:// or wss:// URL) are
 * alternatives of one source: relays of one shared stream, tried in turn. */
Source *Source_ws_new(Live *lv, const char *url, char *err, size_t errlen);
/* Zoom WebSocket subscription; credentials from the environment (docs/live.md). */
Source *Source_zoom_new(Live *lv, char *err, size_t errlen);
/* webhook://[ADDR]:PORT: the built-in receiver (collectors/ingest.h). */
Source *Source_webhook_new(Live *lv, const char *spec, char *err, size_t errlen);
/* A log file, replayed in real time (paced by its recorded arrival times). */
Source *Source_file_new(Live *lv, const char *path, char *err, size_t errlen);
/* redis://HOST:PORT/STREAM or rediss://...: the relays' shared stream, read
 * directly (docs/redis.md); password from CAPMON_REDIS_PASSWORD[_FILE]. */
Source *Source_redis_new(Live *lv, const char *url, char *err, size_t errlen);
void Source_free(Source *s);

/* The vtable every source starts with. */
struct Source {
        void (*free)(Source *s);
        void (*reconnect)(Source *s); /* try now, resetting the backoff; may be NULL */
};
/* The dashboard's `r`: every source that is waiting to retry tries now. */
void Source_reconnect(Source *s);

#endif
