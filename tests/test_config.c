/* config: defaults, every key of docs/config.md, unknown keys, types and ranges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char err[512];

/* Loads text over fresh defaults; returns Config_load_text's result. */
static int load(Config *c, const char *text)
{
        Config_init(c);
        err[0] = '\0';
        return Config_load_text(c, text, strlen(text), "cfg.json", err, sizeof err);
}

/* The text must be rejected with this message; a message ending in '*' is a
 * prefix (how a large bound is printed is not part of the contract). */
static void rejects(const char *text, const char *msg, const char *what)
{
        Config c;
        int rc = load(&c, text);
        is_int(rc, -1, "%s: rejected", what);
        size_t n = strlen(msg);
        if (n > 0 && msg[n - 1] == '*') {
                if (!ok(strncmp(err, msg, n - 1) == 0, "%s: message", what))
                        diag("got \"%s\", expected \"%.*s...\"", err, (int)(n - 1), msg);
        } else {
                is_str(err, msg, "%s: message", what);
        }
        Config_done(&c);
}

static void test_defaults(void)
{
        Config c;
        Config_init(&c);
        is_int(c.capacity, 1000, "default capacity 1000");
        is_int(c.video_limit, 49, "default video_limit 49");
        int all = 1;
        for (int i = 0; i < RULE_COUNT; i++)
                all = all && c.rules[i].enabled && c.rules[i].for_ms == 0 &&
                      c.rules[i].repeat_ms == 1800 * 1000;
        ok(all, "every rule: enabled, for 0, repeat 1800 s");
        is_double(c.cap_warn_pct, 90, "capacity.warning 90 %%");
        is_double(c.cap_crit_pct, 100, "capacity.critical 100 %%");
        is_double(c.cap_hyst_pct, 2, "capacity.hysteresis 2 %%");
        is_double(c.video_margin, 4, "video.warning_margin 4");
        is_double(c.video_hyst, 2, "video.hysteresis 2");
        is_double(c.unident_threshold, 1, "unidentified.threshold 1");
        is_double(c.wait_max_s, 120, "waiting_room.max_wait 120 s");
        is_int(c.wait_max_count, 20, "waiting_room.max_waiting 20");
        is_int(c.jf_count, 5, "join_failures.count 5");
        is_double(c.jf_window_s, 300, "join_failures.window 300 s");
        ok(c.nquotas == 0 && c.naliases == 0 && c.norgs == 0 && c.nmeetings == 0 && !c.roster,
           "no quotas, aliases, organisations, meetings or roster");
        is_str(RULE_NAMES[RULE_DELEGATION_QUOTA], "delegation_quota", "rule names");
        Config_done(&c);

        is_int(load(&c, "{}"), 0, "empty object accepted");
        is_int(c.capacity, 1000, "empty object keeps defaults");
        Config_done(&c);
}

static void test_keys(void)
{
        Config c;
        const char *doc = "{\n"
                          "  \"capacity\": 1200,\n"
                          "  \"video_limit\": 25,\n"
                          "  \"quotas\": {\"Switzerland\": 4, \"France\": 6},\n"
                          "  \"aliases\": {\"Swiss Confederation\": \"Switzerland\", "
                          "\"Helvetia\": \"CH\"},\n"
                          "  \"organisations\": {\"WHO\": [\"World Health Organization\", "
                          "\"OMS\"]},\n"
                          "  \"meetings\": {\n"
                          "    \"85012345678\": {\"capacity\": 500, \"video_limit\": 12, "
                          "\"quotas\": {\"Japan\": 3}}\n"
                          "  },\n"
                          "  \"rules\": {\n"
                          "    \"capacity\": {\"warning\": 80, \"critical\": 95, \"hysteresis\": "
                          "5, \"for\": 2.5, \"repeat\": 600},\n"
                          "    \"video\": {\"warning_margin\": 3, \"hysteresis\": 1, \"enabled\": "
                          "false},\n"
                          "    \"delegation_quota\": {\"for\": 10},\n"
                          "    \"unidentified\": {\"threshold\": 3},\n"
                          "    \"waiting_room\": {\"max_wait\": 90.5, \"max_waiting\": 7},\n"
                          "    \"join_failures\": {\"count\": 2, \"window\": 60}\n"
                          "  }\n"
                          "}\n";
        is_int(load(&c, doc), 0, "every documented key accepted");
        is_str(err, "", "no message");
        is_int(c.capacity, 1200, "capacity");
        is_int(c.video_limit, 25, "video_limit");
        ok(c.nquotas == 2 && strcmp(c.quotas[0].name, "Switzerland") == 0 &&
               c.quotas[0].value == 4 && strcmp(c.quotas[1].name, "France") == 0 &&
               c.quotas[1].value == 6,
           "quotas, in file order");
        ok(c.naliases == 2 && strcmp(c.aliases[0].name, "Switzerland") == 0 &&
               c.aliases[0].n == 1 && strcmp(c.aliases[0].items[0], "Swiss Confederation") == 0 &&
               strcmp(c.aliases[1].name, "CH") == 0 &&
               strcmp(c.aliases[1].items[0], "Helvetia") == 0,
           "aliases: target and alias");
        ok(c.norgs == 1 && strcmp(c.orgs[0].name, "WHO") == 0 && c.orgs[0].n == 2 &&
               strcmp(c.orgs[0].items[1], "OMS") == 0,
           "organisations: group and its aliases");
        const MeetingCfg *m = Config_meeting(&c, "85012345678");
        ok(m && m->capacity == 500 && m->video_limit == 12 && m->nquotas == 1 &&
               strcmp(m->quotas[0].name, "Japan") == 0 && m->quotas[0].value == 3,
           "meetings.<id>: capacity, video_limit, quotas");
        ok(Config_meeting(&c, "123") == NULL && Config_meeting(&c, NULL) == NULL,
           "other meeting ids: no entry");
        is_double(c.cap_warn_pct, 80, "rules.capacity.warning");
        is_double(c.cap_crit_pct, 95, "rules.capacity.critical");
        is_double(c.cap_hyst_pct, 5, "rules.capacity.hysteresis");
        is_int(c.rules[RULE_CAPACITY].for_ms, 2500, "rules.capacity.for in seconds, fractions");
        is_int(c.rules[RULE_CAPACITY].repeat_ms, 600000, "rules.capacity.repeat");
        is_double(c.video_margin, 3, "rules.video.warning_margin");
        is_double(c.video_hyst, 1, "rules.video.hysteresis");
        is_int(c.rules[RULE_VIDEO].enabled, 0, "rules.video.enabled false");
        is_int(c.rules[RULE_CAPACITY].enabled, 1, "other rules stay enabled");
        is_int(c.rules[RULE_DELEGATION_QUOTA].for_ms, 10000, "rules.delegation_quota.for");
        is_double(c.unident_threshold, 3, "rules.unidentified.threshold");
        is_double(c.wait_max_s, 90.5, "rules.waiting_room.max_wait");
        is_int(c.wait_max_count, 7, "rules.waiting_room.max_waiting");
        is_int(c.jf_count, 2, "rules.join_failures.count");
        is_double(c.jf_window_s, 60, "rules.join_failures.window");
        Config_done(&c);

        is_int(load(&c, "{\"organizations\": {\"UNHCR\": []}}"), 0,
               "\"organizations\" spelling, group without aliases");
        ok(c.norgs == 1 && c.orgs[0].n == 0, "group with no aliases");
        Config_done(&c);
}

static void test_rejects(void)
{
        rejects("{\"capacty\": 5}", "cfg.json: unknown key \"capacty\"", "top-level typo");
        rejects("{\"rules\": {\"capacty\": {}}}", "cfg.json: unknown key \"rules.capacty\"",
                "unknown rule (the documented example)");
        rejects("{\"rules\": {\"capacity\": {\"warn\": 80}}}",
                "cfg.json: unknown key \"rules.capacity.warn\"", "unknown rule option");
        rejects("{\"rules\": {\"video\": {\"threshold\": 3}}}",
                "cfg.json: unknown key \"rules.video.threshold\"",
                "another rule's option is unknown here");
        rejects("{\"rules\": {\"delegation_quota\": {\"hysteresis\": 1}}}",
                "cfg.json: unknown key \"rules.delegation_quota.hysteresis\"",
                "delegation_quota has no hysteresis");
        rejects("{\"meetings\": {\"85012345678\": {\"capacty\": 5}}}",
                "cfg.json: unknown key \"meetings.85012345678.capacty\"",
                "unknown key in a meeting");

        rejects("{\"capacity\": \"1000\"}", "cfg.json: capacity: must be a whole number",
                "capacity as text");
        rejects("{\"capacity\": 1000.5}", "cfg.json: capacity: must be a whole number",
                "capacity with a fraction");
        rejects("{\"capacity\": 0}", "cfg.json: capacity: must be between 1 and *", "capacity 0");
        rejects("{\"video_limit\": -1}", "cfg.json: video_limit: must be between 1 and *",
                "negative video_limit");
        rejects("{\"video_limit\": null}", "cfg.json: video_limit: must be a whole number",
                "video_limit null");
        rejects("{\"quotas\": [\"France\"]}",
                "cfg.json: quotas: must be an object of delegation: number", "quotas as array");
        rejects("{\"quotas\": {\"France\": 2.5}}",
                "cfg.json: quotas.France: must be a whole number", "fractional quota");
        rejects("{\"quotas\": {\"France\": -1}}",
                "cfg.json: quotas.France: must be between 0 and *", "negative quota");
        rejects("{\"aliases\": {\"Helvetia\": 7}}",
                "cfg.json: aliases.Helvetia: must be a country or group name", "alias to a number");
        rejects("{\"organisations\": {\"WHO\": \"OMS\"}}",
                "cfg.json: organisations.WHO: must be an array of strings",
                "organisation aliases as text");
        rejects("{\"organisations\": {\"WHO\": [\"\"]}}",
                "cfg.json: organisations.WHO: must be an array of non-empty strings",
                "empty organisation alias");
        rejects("{\"roster\": \"\"}", "cfg.json: roster: must be a file name", "empty roster");
        rejects("{\"roster\": 3}", "cfg.json: roster: must be a file name", "roster as number");
        rejects("{\"meetings\": {\"1\": {\"capacity\": 0}}}",
                "cfg.json: meetings.1.capacity: must be between 1 and *", "meeting capacity 0");
        rejects("{\"meetings\": {\"1\": 5}}", "cfg.json: meetings.1: must be an object",
                "meeting as number");
        rejects("{\"rules\": []}", "cfg.json: rules: must be an object keyed by rule name",
                "rules as array");
        rejects("{\"rules\": {\"video\": true}}", "cfg.json: rules.video: must be an object",
                "rule as boolean");
        rejects("{\"rules\": {\"video\": {\"enabled\": 1}}}",
                "cfg.json: rules.video.enabled: must be true or false", "enabled as number");
        rejects("{\"rules\": {\"capacity\": {\"for\": -1}}}",
                "cfg.json: rules.capacity.for: must be between 0 and *", "negative for");
        rejects("{\"rules\": {\"capacity\": {\"for\": \"10s\"}}}",
                "cfg.json: rules.capacity.for: must be a number", "for with a unit");
        rejects("{\"rules\": {\"capacity\": {\"repeat\": 0}}}",
                "cfg.json: rules.capacity.repeat: must be between 1 and *", "repeat 0");
        rejects("{\"rules\": {\"capacity\": {\"hysteresis\": 101}}}",
                "cfg.json: rules.capacity.hysteresis: must be between 0 and 100",
                "hysteresis over 100 %");
        rejects("{\"rules\": {\"unidentified\": {\"threshold\": 0}}}",
                "cfg.json: rules.unidentified.threshold: must be between 1 and *",
                "unidentified threshold 0");
        rejects("{\"rules\": {\"waiting_room\": {\"max_waiting\": 1.5}}}",
                "cfg.json: rules.waiting_room.max_waiting: must be a whole number",
                "fractional max_waiting");
        rejects("{\"rules\": {\"join_failures\": {\"count\": 0}}}",
                "cfg.json: rules.join_failures.count: must be between 1 and *", "count 0");
        rejects("{\"rules\": {\"join_failures\": {\"window\": 0}}}",
                "cfg.json: rules.join_failures.window: must be between 1 and 86400", "window 0");
        rejects("[1, 2]", "cfg.json: the configuration must be a JSON object", "array document");

        Config c;
        is_int(load(&c, "{\"capacity\": 5,}"), -1, "JSON syntax error rejected");
        ok(strncmp(err, "cfg.json:1:", 11) == 0, "syntax error names file and line (%s)", err);
        Config_done(&c);
        is_int(load(&c, "{\"capacity\": 5, \"capacity\": 6}"), -1, "duplicate key rejected");
        ok(strncmp(err, "cfg.json:", 9) == 0 && strstr(err, "duplicate"),
           "duplicate key message (%s)", err);
        Config_done(&c);

        is_int(load(&c, "{\"capacity\": 1, \"video_limit\": 1000000}"), 0,
               "range limits inclusive");
        Config_done(&c);
        is_int(load(&c, "{\"capacity\": 10000000}"), 0, "capacity 10,000,000 accepted");
        Config_done(&c);
        rejects("{\"capacity\": 10000001}", "cfg.json: capacity: must be between 1 and *",
                "capacity above the range");
}

static void test_file(void)
{
        char dir[] = "/tmp/capmon-test-config-XXXXXX";
        char path[128], cmd[160];
        if (!mkdtemp(dir)) {
                ok(0, "mkdtemp");
                return;
        }
        snprintf(path, sizeof path, "%s/cfg.json", dir);
        FILE *f = fopen(path, "w");
        fputs("{\"roster\": \"people/roster.csv\", \"capacity\": 300}\n", f);
        fclose(f);
        Config c;
        Config_init(&c);
        is_int(Config_load(&c, path, err, sizeof err), 0, "Config_load reads a file");
        char want[160];
        snprintf(want, sizeof want, "%s/people/roster.csv", dir);
        is_str(c.roster, want, "relative roster path is relative to the configuration file");
        is_int(c.capacity, 300, "values from the file");
        Config_done(&c);

        f = fopen(path, "w");
        fputs("{\"roster\": \"/abs/roster.csv\",\n \"rules\": {\"capacty\": {}}}\n", f);
        fclose(f);
        Config_init(&c);
        is_int(Config_load(&c, path, err, sizeof err), -1, "unknown key in a file");
        snprintf(want, sizeof want, "%s: unknown key \"rules.capacty\"", path);
        is_str(err, want, "message names the file and the dotted key");
        Config_done(&c);

        Config_init(&c);
        is_int(load(&c, "{\"roster\": \"/abs/roster.csv\"}"), 0, "absolute roster path");
        is_str(c.roster, "/abs/roster.csv", "absolute path kept");
        Config_done(&c);

        snprintf(path, sizeof path, "%s/missing.json", dir);
        Config_init(&c);
        is_int(Config_load(&c, path, err, sizeof err), -1, "missing file fails");
        ok(strncmp(err, path, strlen(path)) == 0, "message names the file (%s)", err);
        Config_done(&c);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                diag("could not remove %s", dir);
}

int main(void)
{
        test_defaults();
        test_keys();
        test_rejects();
        test_file();
        return done_testing();
}
