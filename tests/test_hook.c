/* hook.c: argv splitting, grouping in event time, the document, the run-time limit. */
#include "hook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

static char *split_join(const char *cmd)
{
        char **argv, err[256];
        static char out[512];
        if (hook_split_argv(cmd, &argv, err, sizeof err) < 0) {
                xsnprintf(out, sizeof out, "error: %s", err);
                return out;
        }
        out[0] = 0;
        for (char **p = argv; *p; p++) {
                size_t n = strlen(out);
                xsnprintf(out + n, sizeof out - n, "%s[%s]", p == argv ? "" : " ", *p);
        }
        hook_argv_free(argv);
        return out;
}

static void test_split(void)
{
        is_str(split_join("notify-send  capmon"), "[notify-send] [capmon]", "blanks separate");
        is_str(split_join("a 'b c' d"), "[a] [b c] [d]", "single quotes keep blanks");
        is_str(split_join("'a\\b \"c\"'"), "[a\\b \"c\"]", "single quotes are literal");
        is_str(split_join("\"say \\\"hi\\\" \\\\ \\n\""), "[say \"hi\" \\ \\n]",
               "double quotes: only \\\" and \\\\ are escapes");
        is_str(split_join("a\\ b c"), "[a b] [c]", "backslash outside quotes");
        is_str(split_join("x'y z'\"w\" ''"), "[xy zw] []", "concatenation, empty argument");
        is_str(split_join("echo $HOME | cat; rm *"), "[echo] [$HOME] [|] [cat;] [rm] [*]",
               "no shell: no expansion, no operators");
        is_str(split_join("'abc"), "error: unterminated ' in hook \"'abc\"", "unterminated '");
        is_str(split_join("\"abc"), "error: unterminated \" in hook \"\"abc\"", "unterminated \"");
        is_str(split_join("abc\\"), "error: hook \"abc\\\" ends with a lone backslash",
               "lone backslash");
        is_str(split_join("  \t "), "error: empty hook command", "empty command");
}

static Alert alert(Rule rule, const char *deleg, Severity lvl, double v, double thr, int64_t t)
{
        Alert a;
        memset(&a, 0, sizeof a);
        a.rule = rule;
        a.meeting = "M1==";
        a.delegation = deleg;
        a.status = AL_FIRING;
        a.severity = a.level = lvl;
        a.value = a.cur_value = v;
        a.threshold = a.cur_threshold = thr;
        a.starts_at = a.last_notified = t;
        a.ends_at = TIME_NONE;
        alert_fingerprint(rule, a.meeting, deleg, a.fingerprint);
        return a;
}

static json_t *read_docs(const char *path)
{
        json_t *docs = json_array();
        FILE *f = fopen(path, "r");
        char line[65536];
        while (f && fgets(line, sizeof line, f)) {
                json_t *d = json_loads(line, 0, NULL);
                if (d)
                        json_array_append_new(docs, d);
        }
        if (f)
                fclose(f);
        return docs;
}

static const char *jget(json_t *o, const char *path)
{
        /* "a.b.c" through objects, numbers as array indexes */
        char buf[256];
        xsnprintf(buf, sizeof buf, "%s", path);
        char *p = buf;
        while (p && o) {
                char *dot = strchr(p, '.');
                if (dot)
                        *dot = 0;
                if (json_is_array(o))
                        o = json_array_get(o, (size_t)atoi(p));
                else
                        o = json_object_get(o, p);
                p = dot ? dot + 1 : NULL;
        }
        return json_is_string(o) ? json_string_value(o) : NULL;
}

static void test_grouping(void)
{
        char dir[] = "/tmp/capmon-test-hook-XXXXXX", out[128], cmd[256];
        if (!mkdtemp(dir)) {
                ok(0, "mkdtemp");
                return;
        }
        xsnprintf(out, sizeof out, "%s/docs", dir);
        xsnprintf(cmd, sizeof cmd, "sh -c 'cat >> \"$0\"; echo >> \"$0\"' %s", out);
        char *cmds[] = {cmd};
        char err[256];
        Hook *h = Hook_new(cmds, 1, NULL, err, sizeof err);
        ok(h != NULL, "Hook_new");
        if (!h)
                return;
        Meeting mt;
        memset(&mt, 0, sizeof mt);
        mt.uuid = "M1==";
        mt.id = "85012345678";
        mt.topic = "Council";
        int64_t t0 = 1773129600000;
        Alert cap = alert(RULE_CAPACITY, NULL, SEV_WARNING, 903, 900, t0);
        Alert quota = alert(RULE_DELEGATION_QUOTA, "France", SEV_WARNING, 7, 7, t0 + 1000);
        Hook_notify(h, &cap, NOTIFY_FIRING, &mt);
        Hook_notify(h, &quota, NOTIFY_FIRING, &mt);
        /* within the window: the same instance updated in place */
        cap.level = cap.severity = SEV_CRITICAL;
        cap.cur_value = cap.value = 1000;
        cap.cur_threshold = cap.threshold = 1000;
        cap.last_notified = t0 + 1999;
        Hook_notify(h, &cap, NOTIFY_CHANGED, &mt);
        Hook_advance(h, t0 + 1999);
        is_int(Hook_stats(h)->documents, 0, "window still open at +1999 ms");
        Hook_advance(h, t0 + 2000);
        is_int(Hook_stats(h)->documents, 1, "window closed at +2000 ms");
        quota.status = AL_RESOLVED;
        quota.ends_at = t0 + 5000;
        Hook_notify(h, &quota, NOTIFY_RESOLVED, &mt);
        Hook_drain(h);
        is_int(Hook_stats(h)->documents, 2, "drain flushed the open group");
        is_int(Hook_stats(h)->started, 2, "two calls");
        is_int(Hook_stats(h)->failed, 0, "no failure");
        Hook_free(h);

        json_t *docs = read_docs(out);
        is_int(json_array_size(docs), 2, "two documents received");
        json_t *d0 = json_array_get(docs, 0), *d1 = json_array_get(docs, 1);
        is_int(json_array_size(json_object_get(d0, "alerts")), 2, "first: two alerts");
        is_str(jget(d0, "status"), "firing", "first: firing");
        is_str(jget(d0, "alerts.0.labels.severity"), "critical", "capacity: latest state");
        is_str(jget(d0, "alerts.0.annotations.value"), "1000", "capacity: value");
        is_str(jget(d0, "alerts.0.labels.meeting_id"), "85012345678", "meeting_id label");
        is_str(jget(d0, "alerts.0.labels.meeting_topic"), "Council", "meeting_topic label");
        ok(jget(d0, "alerts.0.labels.delegation") == NULL, "no delegation label for capacity");
        is_str(jget(d0, "alerts.1.labels.delegation"), "France", "delegation label");
        is_str(jget(d0, "alerts.1.endsAt"), "0001-01-01T00:00:00Z", "firing: zero endsAt");
        is_str(jget(d0, "commonLabels.meeting_id"), "85012345678", "commonLabels");
        ok(jget(d0, "commonLabels.alertname") == NULL, "commonLabels: only shared labels");
        is_str(jget(d1, "status"), "resolved", "second: resolved");
        is_str(jget(d1, "alerts.0.endsAt"), "2026-03-10T08:00:05.000Z", "resolved endsAt");
        is_str(jget(d1, "alerts.0.startsAt"), "2026-03-10T08:00:01.000Z", "startsAt kept");
        is_str(jget(d1, "alerts.0.fingerprint"), quota.fingerprint, "fingerprint");
        is_str(jget(d1, "version"), "4", "version 4");
        json_decref(docs);
        unlink(out);
        rmdir(dir);
}

static void test_timeout(void)
{
        HookOpts o = HOOK_OPTS_DEFAULT;
        o.timeout_ms = 300;
        char *cmds[] = {"sleep 30"};
        char err[256];
        Hook *h = Hook_new(cmds, 1, &o, err, sizeof err);
        Alert a = alert(RULE_CAPACITY, NULL, SEV_WARNING, 903, 900, 1000);
        Hook_notify(h, &a, NOTIFY_FIRING, NULL);
        int64_t start = Hook_now();
        Hook_drain(h);
        int64_t el = Hook_now() - start;
        ok(el >= 300 && el < 2000, "a hanging hook is killed at the timeout (%lld ms)",
           (long long)el);
        is_int(Hook_stats(h)->timed_out, 1, "counted as timed out");
        Hook_free(h);
}

static void quiet(void *ud, const char *line)
{
        (void)ud;
        (void)line;
}

static void test_queue(void)
{
        HookOpts o = HOOK_OPTS_DEFAULT;
        o.max_queued = 3;
        char *cmds[] = {"sleep 0.05"};
        char err[256];
        Hook *h = Hook_new(cmds, 1, &o, err, sizeof err);
        Hook_set_log(h, quiet, NULL);
        for (int i = 0; i < 10; i++) { /* ten groups, 3 s apart, before any can run */
                Alert a = alert(RULE_CAPACITY, NULL, SEV_WARNING, 903, 900, i * 3000);
                Hook_notify(h, &a, NOTIFY_FIRING, NULL);
        }
        Hook_flush(h);
        is_int(Hook_stats(h)->dropped, 7, "queue of 3: the 7 oldest dropped");
        Hook_drain(h);
        is_int(Hook_stats(h)->started, 3, "the 3 newest run");
        Hook_free(h);
}

int main(void)
{
        test_split();
        test_grouping();
        test_timeout();
        test_queue();
        return done_testing();
}
