#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *const RULE_NAMES[RULE_COUNT] = {
    "capacity",     "video",        "delegation_quota",
    "unidentified", "waiting_room", "join_failures",
    "feed",         "lag",          "drift",
};

void Config_init(Config *c)
{
        memset(c, 0, sizeof *c);
        c->capacity = 1000;
        c->video_limit = 49;
        for (int i = 0; i < RULE_COUNT; i++) {
                c->rules[i].enabled = 1;
                c->rules[i].for_ms = 0;
                c->rules[i].repeat_ms = 30 * 60 * 1000;
        }
        /* queues and failures come in waves: one alert per wave, not one per dip */
        c->rules[RULE_WAITING_ROOM].clear_ms = 60 * 1000;
        c->rules[RULE_JOIN_FAILURES].clear_ms = 60 * 1000;
        c->cap_warn_pct = 90;
        c->cap_crit_pct = 100;
        c->cap_hyst_pct = 2;
        c->video_margin = 4;
        c->video_hyst = 2;
        c->unident_threshold = 1;
        c->wait_max_s = 120;
        c->wait_max_count = 20;
        c->wait_hyst = 2;
        c->wait_hyst_s = 30;
        c->jf_hyst = 1;
        c->jf_count = 5;
        c->jf_window_s = 300;
        c->lag_s = 30;
        c->feed_silence_s = 60;
        c->drift_max = 5;
        c->retire_after_s = 3600;
        c->forget_after_s = 86400;
        c->dup_window_s = 5400;
        c->clock_ahead_s = 60;
}

static void free_nameints(NameInt *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

static void free_namelists(NameList *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                for (size_t k = 0; k < v[i].n; k++)
                        free(v[i].items[k]);
                free(v[i].items);
        }
        free(v);
}

void Config_done(Config *c)
{
        free_nameints(c->quotas, c->nquotas);
        free_namelists(c->aliases, c->naliases);
        free_namelists(c->orgs, c->norgs);
        for (size_t i = 0; i < c->nmeetings; i++) {
                free(c->meetings[i].id);
                free_nameints(c->meetings[i].quotas, c->meetings[i].nquotas);
        }
        free(c->meetings);
        free(c->roster);
        for (size_t i = 0; i < c->nhooks; i++)
                free(c->hooks[i]);
        free(c->hooks);
        memset(c, 0, sizeof *c);
}

const MeetingCfg *Config_meeting(const Config *c, const char *id)
{
        if (!id)
                return NULL;
        for (size_t i = 0; i < c->nmeetings; i++) {
                if (strcmp(c->meetings[i].id, id) == 0)
                        return &c->meetings[i];
        }
        return NULL;
}

typedef struct Ctx {
        const char *origin;
        const char *dir; /* directory of the file, for relative paths */
        char *err;
        size_t errlen;
} Ctx;

static int fail(Ctx *x, const char *path, const char *what)
{
        xsnprintf(x->err, x->errlen, "%s: %s%s%s", x->origin, path, *path ? ": " : "", what);
        return -1;
}

static int get_number(Ctx *x, json_t *v, const char *path, double min, double max, double *out)
{
        char msg[128];
        if (!json_is_number(v))
                return fail(x, path, "must be a number");
        double d = json_number_value(v);
        if (d < min || d > max) {
                xsnprintf(msg, sizeof msg, "must be between %g and %g", min, max);
                return fail(x, path, msg);
        }
        *out = d;
        return 0;
}

static int get_int(Ctx *x, json_t *v, const char *path, int min, int max, int *out)
{
        double d;
        if (!json_is_integer(v))
                return fail(x, path, "must be a whole number");
        if (get_number(x, v, path, min, max, &d))
                return -1;
        *out = (int)d;
        return 0;
}

static int unknown_key(Ctx *x, const char *parent, const char *key)
{
        char msg[300];
        xsnprintf(msg, sizeof msg, "unknown key \"%s%s%s\"", parent, *parent ? "." : "", key);
        xsnprintf(x->err, x->errlen, "%s: %s", x->origin, msg);
        return -1;
}

static int load_quotas(Ctx *x, json_t *obj, const char *path, NameInt **out, size_t *n)
{
        const char *k;
        json_t *v;
        char sub[300];
        if (!json_is_object(obj))
                return fail(x, path, "must be an object of delegation: number");
        *out = xcalloc(json_object_size(obj) + 1, sizeof(NameInt));
        *n = 0;
        json_object_foreach(obj, k, v)
        {
                xsnprintf(sub, sizeof sub, "%s.%s", path, k);
                int q;
                if (get_int(x, v, sub, 0, 1000000, &q))
                        return -1;
                (*out)[*n].name = xstrdup(k);
                (*out)[(*n)++].value = q;
        }
        return 0;
}

static int load_rule(Ctx *x, Config *c, Rule r, json_t *obj)
{
        char path[128], sub[160];
        xsnprintf(path, sizeof path, "rules.%s", RULE_NAMES[r]);
        if (!json_is_object(obj))
                return fail(x, path, "must be an object");
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v)
        {
                double d;
                xsnprintf(sub, sizeof sub, "%s.%s", path, k);
                if (strcmp(k, "enabled") == 0) {
                        if (!json_is_boolean(v))
                                return fail(x, sub, "must be true or false");
                        c->rules[r].enabled = json_is_true(v);
                } else if (strcmp(k, "for") == 0) {
                        if (get_number(x, v, sub, 0, 86400 * 30, &d))
                                return -1;
                        c->rules[r].for_ms = (int64_t)(d * 1000);
                } else if (strcmp(k, "clear_for") == 0) {
                        if (get_number(x, v, sub, 0, 86400, &d))
                                return -1;
                        c->rules[r].clear_ms = (int64_t)(d * 1000);
                } else if (strcmp(k, "repeat") == 0) {
                        if (get_number(x, v, sub, 1, 86400 * 30, &d))
                                return -1;
                        c->rules[r].repeat_ms = (int64_t)(d * 1000);
                } else if (r == RULE_CAPACITY && strcmp(k, "warning") == 0) {
                        if (get_number(x, v, sub, 0, 1000, &c->cap_warn_pct))
                                return -1;
                } else if (r == RULE_CAPACITY && strcmp(k, "critical") == 0) {
                        if (get_number(x, v, sub, 0, 1000, &c->cap_crit_pct))
                                return -1;
                } else if (r == RULE_CAPACITY && strcmp(k, "hysteresis") == 0) {
                        if (get_number(x, v, sub, 0, 100, &c->cap_hyst_pct))
                                return -1;
                } else if (r == RULE_VIDEO && strcmp(k, "warning_margin") == 0) {
                        if (get_number(x, v, sub, 0, 10000, &c->video_margin))
                                return -1;
                } else if (r == RULE_VIDEO && strcmp(k, "hysteresis") == 0) {
                        if (get_number(x, v, sub, 0, 10000, &c->video_hyst))
                                return -1;
                } else if (r == RULE_UNIDENTIFIED && strcmp(k, "threshold") == 0) {
                        if (get_number(x, v, sub, 1, 1000000, &c->unident_threshold))
                                return -1;
                } else if (r == RULE_WAITING_ROOM && strcmp(k, "max_wait") == 0) {
                        if (get_number(x, v, sub, 0, 86400, &c->wait_max_s))
                                return -1;
                } else if (r == RULE_WAITING_ROOM && strcmp(k, "max_waiting") == 0) {
                        if (get_int(x, v, sub, 1, 1000000, &c->wait_max_count))
                                return -1;
                } else if (r == RULE_WAITING_ROOM && strcmp(k, "hysteresis") == 0) {
                        if (get_number(x, v, sub, 0, 1000000, &c->wait_hyst))
                                return -1;
                } else if (r == RULE_WAITING_ROOM && strcmp(k, "wait_hysteresis") == 0) {
                        if (get_number(x, v, sub, 0, 86400, &c->wait_hyst_s))
                                return -1;
                } else if (r == RULE_JOIN_FAILURES && strcmp(k, "hysteresis") == 0) {
                        if (get_number(x, v, sub, 0, 1000000, &c->jf_hyst))
                                return -1;
                } else if (r == RULE_JOIN_FAILURES && strcmp(k, "count") == 0) {
                        if (get_int(x, v, sub, 1, 1000000, &c->jf_count))
                                return -1;
                } else if (r == RULE_JOIN_FAILURES && strcmp(k, "window") == 0) {
                        if (get_number(x, v, sub, 1, 86400, &c->jf_window_s))
                                return -1;
                } else if (r == RULE_LAG && strcmp(k, "threshold") == 0) {
                        if (get_number(x, v, sub, 0, 86400, &c->lag_s))
                                return -1;
                } else if (r == RULE_DRIFT && strcmp(k, "threshold") == 0) {
                        if (get_int(x, v, sub, 0, 1000000, &c->drift_max))
                                return -1;
                } else if (r == RULE_FEED && strcmp(k, "silence") == 0) {
                        if (get_number(x, v, sub, 1, 86400, &c->feed_silence_s))
                                return -1;
                } else {
                        return unknown_key(x, path, k);
                }
        }
        return 0;
}

static int load_state(Ctx *x, Config *c, json_t *obj)
{
        char sub[160];
        if (!json_is_object(obj))
                return fail(x, "state", "must be an object");
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v)
        {
                xsnprintf(sub, sizeof sub, "state.%s", k);
                if (strcmp(k, "retire_ended_after") == 0) {
                        if (get_number(x, v, sub, 0, 86400 * 30, &c->retire_after_s))
                                return -1;
                } else if (strcmp(k, "forget_ended_after") == 0) {
                        if (get_number(x, v, sub, 0, 86400 * 365, &c->forget_after_s))
                                return -1;
                } else if (strcmp(k, "duplicate_window") == 0) {
                        if (get_number(x, v, sub, 1, 86400 * 30, &c->dup_window_s))
                                return -1;
                } else if (strcmp(k, "max_clock_ahead") == 0) {
                        if (get_number(x, v, sub, 0, 86400 * 365, &c->clock_ahead_s))
                                return -1;
                } else {
                        return unknown_key(x, "state", k);
                }
        }
        return 0;
}

static int load_strings(Ctx *x, json_t *arr, const char *path, char ***out, size_t *n)
{
        size_t i;
        json_t *v;
        if (!json_is_array(arr))
                return fail(x, path, "must be an array of strings");
        *out = xcalloc(json_array_size(arr) + 1, sizeof(char *));
        *n = 0;
        json_array_foreach(arr, i, v)
        {
                if (!json_is_string(v) || !*json_string_value(v)) {
                        while (*n > 0)
                                free((*out)[--*n]);
                        free(*out);
                        *out = NULL;
                        return fail(x, path, "must be an array of non-empty strings");
                }
                (*out)[(*n)++] = xstrdup(json_string_value(v));
        }
        return 0;
}

static int load_meeting(Ctx *x, MeetingCfg *m, const char *id, json_t *obj)
{
        char path[160], sub[200];
        xsnprintf(path, sizeof path, "meetings.%s", id);
        memset(m, 0, sizeof *m);
        m->id = xstrdup(id);
        if (!json_is_object(obj))
                return fail(x, path, "must be an object");
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v)
        {
                xsnprintf(sub, sizeof sub, "%s.%s", path, k);
                if (strcmp(k, "capacity") == 0) {
                        if (get_int(x, v, sub, 1, 10000000, &m->capacity))
                                return -1;
                } else if (strcmp(k, "video_limit") == 0) {
                        if (get_int(x, v, sub, 1, 1000000, &m->video_limit))
                                return -1;
                } else if (strcmp(k, "quotas") == 0) {
                        if (load_quotas(x, v, sub, &m->quotas, &m->nquotas))
                                return -1;
                } else if (strcmp(k, "topic") == 0) {
                        if (!json_is_string(v))
                                return fail(x, sub, "must be a string");
                } else {
                        return unknown_key(x, path, k);
                }
        }
        return 0;
}

static int load_root(Ctx *x, Config *c, json_t *root)
{
        const char *k;
        json_t *v;
        if (!json_is_object(root))
                return fail(x, "", "the configuration must be a JSON object");
        json_object_foreach(root, k, v)
        {
                if (strcmp(k, "capacity") == 0) {
                        if (get_int(x, v, k, 1, 10000000, &c->capacity))
                                return -1;
                } else if (strcmp(k, "video_limit") == 0) {
                        if (get_int(x, v, k, 1, 1000000, &c->video_limit))
                                return -1;
                } else if (strcmp(k, "quotas") == 0) {
                        free_nameints(c->quotas, c->nquotas);
                        if (load_quotas(x, v, k, &c->quotas, &c->nquotas))
                                return -1;
                } else if (strcmp(k, "roster") == 0) {
                        if (!json_is_string(v) || !*json_string_value(v))
                                return fail(x, k, "must be a file name");
                        const char *p = json_string_value(v);
                        free(c->roster);
                        if (p[0] != '/' && x->dir) {
                                size_t n = strlen(x->dir) + strlen(p) + 2;
                                c->roster = xmalloc(n);
                                xsnprintf(c->roster, n, "%s/%s", x->dir, p);
                        } else {
                                c->roster = xstrdup(p);
                        }
                } else if (strcmp(k, "aliases") == 0) {
                        const char *a;
                        json_t *t;
                        char sub[300];
                        if (!json_is_object(v))
                                return fail(x, k, "must be an object of alias: country");
                        c->aliases = xrealloc(c->aliases, (c->naliases + json_object_size(v) + 1) *
                                                              sizeof(NameList));
                        json_object_foreach(v, a, t)
                        {
                                xsnprintf(sub, sizeof sub, "aliases.%s", a);
                                if (!json_is_string(t))
                                        return fail(x, sub, "must be a country or group name");
                                NameList *nl = &c->aliases[c->naliases++];
                                nl->name = xstrdup(json_string_value(t));
                                nl->items = xcalloc(1, sizeof(char *));
                                nl->items[0] = xstrdup(a);
                                nl->n = 1;
                        }
                } else if (strcmp(k, "organisations") == 0 || strcmp(k, "organizations") == 0) {
                        const char *g;
                        json_t *t;
                        char sub[300];
                        if (!json_is_object(v))
                                return fail(x, k, "must be an object of group: [aliases]");
                        c->orgs = xrealloc(c->orgs,
                                           (c->norgs + json_object_size(v) + 1) * sizeof(NameList));
                        json_object_foreach(v, g, t)
                        {
                                xsnprintf(sub, sizeof sub, "%s.%s", k, g);
                                NameList *nl = &c->orgs[c->norgs++];
                                memset(nl, 0, sizeof *nl);
                                nl->name = xstrdup(g);
                                if (load_strings(x, t, sub, &nl->items, &nl->n))
                                        return -1;
                        }
                } else if (strcmp(k, "meetings") == 0) {
                        const char *id;
                        json_t *t;
                        if (!json_is_object(v))
                                return fail(x, k, "must be an object keyed by meeting id");
                        c->meetings =
                            xrealloc(c->meetings,
                                     (c->nmeetings + json_object_size(v) + 1) * sizeof(MeetingCfg));
                        json_object_foreach(v, id, t)
                        {
                                if (load_meeting(x, &c->meetings[c->nmeetings++], id, t))
                                        return -1;
                        }
                } else if (strcmp(k, "rules") == 0) {
                        const char *rn;
                        json_t *t;
                        if (!json_is_object(v))
                                return fail(x, k, "must be an object keyed by rule name");
                        json_object_foreach(v, rn, t)
                        {
                                int r;
                                for (r = 0; r < RULE_COUNT; r++) {
                                        if (strcmp(rn, RULE_NAMES[r]) == 0)
                                                break;
                                }
                                if (r == RULE_COUNT)
                                        return unknown_key(x, "rules", rn);
                                if (load_rule(x, c, (Rule)r, t))
                                        return -1;
                        }
                } else if (strcmp(k, "state") == 0) {
                        if (load_state(x, c, v))
                                return -1;
                } else if (strcmp(k, "hooks") == 0) {
                        char **h;
                        size_t n;
                        if (load_strings(x, v, k, &h, &n))
                                return -1;
                        c->hooks = xrealloc(c->hooks, (c->nhooks + n + 1) * sizeof(char *));
                        for (size_t i = 0; i < n; i++)
                                c->hooks[c->nhooks++] = h[i];
                        free(h);
                } else {
                        return unknown_key(x, "", k);
                }
        }
        return 0;
}

int Config_load_text(Config *c, const char *text, size_t len, const char *origin, char *err,
                     size_t errlen)
{
        json_error_t jerr;
        Ctx x = {origin, NULL, err, errlen};
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                xsnprintf(err, errlen, "%s:%d:%d: %s", origin, jerr.line, jerr.column, jerr.text);
                return -1;
        }
        int rc = load_root(&x, c, root);
        json_decref(root);
        return rc;
}

int Config_load(Config *c, const char *path, char *err, size_t errlen)
{
        json_error_t jerr;
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                if (jerr.line <= 0)
                        xsnprintf(err, errlen, "%s: %s", path, jerr.text);
                else
                        xsnprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                                  jerr.text);
                return -1;
        }
        char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        Ctx x = {path, slash ? dir : NULL, err, errlen};
        int rc = load_root(&x, c, root);
        free(dir);
        json_decref(root);
        return rc;
}

/* ---- the effective configuration, for `capmon config check` ---- */

static json_t *quotas_json(const NameInt *q, size_t n)
{
        json_t *o = json_object();
        for (size_t i = 0; i < n; i++)
                json_object_set_new(o, q[i].name, json_integer(q[i].value));
        return o;
}

static json_t *strings_json(char *const *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

/* Seconds as the file writes them: a whole number when it is one. */
static json_t *seconds_json(double s)
{
        return s == (double)(int64_t)s ? json_integer((json_int_t)s) : json_real(s);
}

static json_t *rule_json(const Config *c, Rule r)
{
        json_t *o = json_object();
        json_object_set_new(o, "enabled", json_boolean(c->rules[r].enabled));
        json_object_set_new(o, "for", seconds_json((double)c->rules[r].for_ms / 1000));
        json_object_set_new(o, "repeat", seconds_json((double)c->rules[r].repeat_ms / 1000));
        json_object_set_new(o, "clear_for", seconds_json((double)c->rules[r].clear_ms / 1000));
        switch (r) {
        case RULE_CAPACITY:
                json_object_set_new(o, "warning", seconds_json(c->cap_warn_pct));
                json_object_set_new(o, "critical", seconds_json(c->cap_crit_pct));
                json_object_set_new(o, "hysteresis", seconds_json(c->cap_hyst_pct));
                break;
        case RULE_VIDEO:
                json_object_set_new(o, "warning_margin", seconds_json(c->video_margin));
                json_object_set_new(o, "hysteresis", seconds_json(c->video_hyst));
                break;
        case RULE_UNIDENTIFIED:
                json_object_set_new(o, "threshold", seconds_json(c->unident_threshold));
                break;
        case RULE_WAITING_ROOM:
                json_object_set_new(o, "max_wait", seconds_json(c->wait_max_s));
                json_object_set_new(o, "max_waiting", json_integer(c->wait_max_count));
                json_object_set_new(o, "hysteresis", seconds_json(c->wait_hyst));
                json_object_set_new(o, "wait_hysteresis", seconds_json(c->wait_hyst_s));
                break;
        case RULE_JOIN_FAILURES:
                json_object_set_new(o, "count", json_integer(c->jf_count));
                json_object_set_new(o, "window", seconds_json(c->jf_window_s));
                json_object_set_new(o, "hysteresis", seconds_json(c->jf_hyst));
                break;
        case RULE_LAG:
                json_object_set_new(o, "threshold", seconds_json(c->lag_s));
                break;
        case RULE_FEED:
                json_object_set_new(o, "silence", seconds_json(c->feed_silence_s));
                break;
        case RULE_DRIFT:
                json_object_set_new(o, "threshold", json_integer(c->drift_max));
                break;
        default:
                break;
        }
        return o;
}

json_t *Config_to_json(const Config *c)
{
        json_t *o = json_object();
        json_object_set_new(o, "capacity", json_integer(c->capacity));
        json_object_set_new(o, "video_limit", json_integer(c->video_limit));
        if (c->roster)
                json_object_set_new(o, "roster", json_string(c->roster));
        json_object_set_new(o, "quotas", quotas_json(c->quotas, c->nquotas));
        json_t *al = json_object();
        for (size_t i = 0; i < c->naliases; i++)
                for (size_t k = 0; k < c->aliases[i].n; k++)
                        json_object_set_new(al, c->aliases[i].items[k],
                                            json_string(c->aliases[i].name));
        json_object_set_new(o, "aliases", al);
        json_t *org = json_object();
        for (size_t i = 0; i < c->norgs; i++)
                json_object_set_new(org, c->orgs[i].name,
                                    strings_json(c->orgs[i].items, c->orgs[i].n));
        json_object_set_new(o, "organisations", org);
        json_t *ms = json_object();
        for (size_t i = 0; i < c->nmeetings; i++) {
                const MeetingCfg *m = &c->meetings[i];
                json_t *mo = json_object();
                if (m->capacity)
                        json_object_set_new(mo, "capacity", json_integer(m->capacity));
                if (m->video_limit)
                        json_object_set_new(mo, "video_limit", json_integer(m->video_limit));
                json_object_set_new(mo, "quotas", quotas_json(m->quotas, m->nquotas));
                json_object_set_new(ms, m->id, mo);
        }
        json_object_set_new(o, "meetings", ms);
        json_t *rules = json_object();
        for (int r = 0; r < RULE_COUNT; r++)
                json_object_set_new(rules, RULE_NAMES[r], rule_json(c, (Rule)r));
        json_object_set_new(o, "rules", rules);
        json_t *st = json_object();
        json_object_set_new(st, "retire_ended_after", seconds_json(c->retire_after_s));
        json_object_set_new(st, "forget_ended_after", seconds_json(c->forget_after_s));
        json_object_set_new(st, "duplicate_window", seconds_json(c->dup_window_s));
        json_object_set_new(st, "max_clock_ahead", seconds_json(c->clock_ahead_s));
        json_object_set_new(o, "state", st);
        json_object_set_new(o, "hooks", strings_json(c->hooks, c->nhooks));
        return o;
}
