/* The relay's reconciling (relay_reconcile.h). */
#include "relay_reconcile.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "lease.h"
#include "loop.h"
#include "metrics.h"
#include "reconcile.h"
#include "util.h"
#include "zoom_api.h"
#include "zoom_token.h"

#define LEASE_CHECK_US 500000 /* how often the loop looks at the lease */

struct RelayReconcile {
        Loop *loop;
        ZoomToken *tok;
        ZoomApi *api;
        Reconciler *rec; /* the live list, or NULL */
        Reconciler *qos; /* the QoS estimate, or NULL */
        Lease *lease;    /* NULL: no election (a log file) */
        LoopTimer *check;
        int polling;
        RelayAppendFn append;
        RelayLogFn log;
        void *ud;
};

static void rr_log(void *ud, const char *line)
{
        RelayReconcile *rr = ud;
        rr->log(rr->ud, line);
}

static void rr_emit(void *ud, const char *body, size_t len)
{
        RelayReconcile *rr = ud;
        rr->append(rr->ud, "reconcile", body, len);
}

static void rr_emit_qos(void *ud, const char *body, size_t len)
{
        RelayReconcile *rr = ud;
        rr->append(rr->ud, "qos", body, len);
}

/* Both pollers (either may be absent). */
static void rr_active(RelayReconcile *rr, int on)
{
        if (rr->rec)
                Reconciler_set_active(rr->rec, on);
        if (rr->qos)
                Reconciler_set_active(rr->qos, on);
}

static void rr_add(RelayReconcile *rr, const char *uuid, const char *id)
{
        if (rr->rec)
                Reconciler_add(rr->rec, uuid, id);
        if (rr->qos)
                Reconciler_add(rr->qos, uuid, id);
}

/* Zoom says a meeting is gone: neither list asks for it again, and the relays of
 * the stream stop sharing it (its next event brings it back). */
static void rr_gone(void *ud, const char *uuid, const char *id)
{
        RelayReconcile *rr = ud;
        /* a member is "uuid\tid" as the first event that named it had them: one
         * of the three forms */
        char m[600];
        const char *forms[3][2] = {{uuid, id ? id : ""}, {uuid, ""}, {"", id ? id : ""}};
        for (int i = 0; i < 3 && rr->lease; i++) {
                if (i > 0 && !*forms[i][0] && !*forms[i][1])
                        continue;
                xsnprintf(m, sizeof m, "%s\t%s", forms[i][0], forms[i][1]);
                Lease_unshare(rr->lease, m);
        }
        char *u = xstrdup(uuid), *n = id ? xstrdup(id) : NULL;
        Reconciler *rec[2] = {rr->rec, rr->qos};
        for (int i = 0; i < 2; i++) {
                if (!rec[i])
                        continue;
                Reconciler_forget(rec[i], u);
                if (n)
                        Reconciler_forget_id(rec[i], n); /* known by its number only */
        }
        free(u);
        free(n);
}

static void on_check(void *ud)
{
        RelayReconcile *rr = ud;
        int held = Lease_held(rr->lease);
        if (held != rr->polling) {
                char line[200];
                xsnprintf(line, sizeof line, "reconcile: %s (lease %s)",
                          held ? "this relay polls Zoom's list" : "another relay polls Zoom's list",
                          Lease_id(rr->lease));
                rr->log(rr->ud, line);
                rr->polling = held;
                rr_active(rr, held);
        }
        if (held) { /* the meetings every relay of the stream heard of */
                char **v;
                size_t n = Lease_members(rr->lease, &v);
                for (size_t i = 0; i < n; i++) {
                        char *tab = strchr(v[i], '\t');
                        if (tab)
                                *tab++ = '\0';
                        rr_add(rr, *v[i] ? v[i] : NULL, tab);
                }
                Lease_members_free(v, n);
        }
        Loop_timer_start(rr->check, LEASE_CHECK_US);
}

RelayReconcile *RelayReconcile_new(struct lws_context *cx, int interval_s, int qos_s,
                                   const RedisUrl *ru, RelayAppendFn append, RelayLogFn log,
                                   void *ud, char *err, size_t errlen)
{
        RelayReconcile *rr = xcalloc(1, sizeof *rr);
        rr->append = append;
        rr->log = log;
        rr->ud = ud;
        rr->loop = Loop_wrap(cx);
        if (!rr->loop) {
                xsnprintf(err, errlen, "reconcile: out of memory");
                goto fail;
        }
        rr->tok = ZoomToken_new(rr->loop, rr_log, rr, err, errlen);
        if (!rr->tok)
                goto fail;
        rr->api = ZoomApi_new(rr->loop, rr->tok, rr_log, rr, err, errlen);
        if (!rr->api)
                goto fail;
        if (interval_s > 0) {
                rr->rec = Reconciler_new(rr->loop, rr->api, interval_s, rr_emit, rr_log, rr);
                Reconciler_on_gone(rr->rec, rr_gone, rr);
        }
        if (qos_s > 0) {
                rr->qos = Reconciler_new(rr->loop, rr->api, qos_s, rr_emit_qos, rr_log, rr);
                Reconciler_on_gone(rr->qos, rr_gone, rr);
                Reconciler_set_list(rr->qos, RECONCILE_QOS);
                if (interval_s <= 0 || qos_s < interval_s)
                        interval_s = qos_s; /* the lease follows the faster poller */
        }
        if (ru) {
                char key[512];
                xsnprintf(key, sizeof key, "%s:capmon-reconcile-lease", ru->stream);
                /* a poller that dies is replaced within two intervals, at most a minute */
                int64_t ttl = (int64_t)interval_s * 2000;
                rr->lease = Lease_start(ru, key, ttl < 60000 ? ttl : 60000, err, errlen);
                if (!rr->lease)
                        goto fail;
                rr_active(rr, 0);
                rr->check = Loop_timer_new(rr->loop, on_check, rr);
                Loop_timer_start(rr->check, 0);
        } else {
                rr->polling = 1;
        }
        return rr;
fail:
        RelayReconcile_free(rr);
        return NULL;
}

void RelayReconcile_offer(RelayReconcile *rr, const char *body, size_t len)
{
        json_t *root = json_loadb(body, len, 0, NULL);
        Event ev;
        char err[8];
        if (root && Event_parse(root, &ev, err, sizeof err) == 0 && ev.type != EV_UNKNOWN &&
            ev.type != EV_RECONCILE) {
                Reconciler *first = rr->rec ? rr->rec : rr->qos;
                if (ev.type == EV_ENDED && *ev.uuid) {
                        if (rr->rec)
                                Reconciler_forget(rr->rec, ev.uuid);
                        if (rr->qos)
                                Reconciler_forget(rr->qos, ev.uuid);
                } else if (ev.type != EV_ENDED) {
                        size_t before = Reconciler_meetings(first);
                        rr_add(rr, *ev.uuid ? ev.uuid : NULL, ev.id);
                        if (rr->lease && Reconciler_meetings(first) > before) {
                                char m[600];
                                xsnprintf(m, sizeof m, "%s\t%s", ev.uuid, ev.id);
                                Lease_share(rr->lease, m);
                        }
                }
        }
        json_decref(root);
}

void RelayReconcile_metrics(const RelayReconcile *rr, Prom *p)
{
        ZoomApi_metrics(rr->api, p);
        prom_family(p, "capmon_reconcile_poller", "gauge",
                    "1 when this relay is the one polling Zoom's live list.");
        prom_sample(p, "capmon_reconcile_poller", NULL, rr->polling);
}

void RelayReconcile_free(RelayReconcile *rr)
{
        if (!rr)
                return;
        Lease_stop(rr->lease);
        Loop_timer_free(rr->check);
        Reconciler_free(rr->rec);
        Reconciler_free(rr->qos);
        ZoomApi_free(rr->api);
        ZoomToken_free(rr->tok);
        Loop_free(rr->loop);
        free(rr);
}
