/* Configuration: defaults, the JSON file (docs/config.md), command-line overrides. */
#ifndef CAPMON_CONFIG_H
#define CAPMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef enum Rule {
        RULE_CAPACITY,
        RULE_VIDEO,
        RULE_DELEGATION_QUOTA,
        RULE_UNIDENTIFIED,
        RULE_WAITING_ROOM,
        RULE_JOIN_FAILURES,
        RULE_FEED,
        RULE_LAG,
        RULE_DRIFT, /* one reconcile corrected too many sessions */
        RULE_COUNT
} Rule;

extern const char *const RULE_NAMES[RULE_COUNT];

typedef struct RuleOpts {
        int enabled;
        int64_t for_ms;
        int64_t repeat_ms;
        int64_t clear_ms; /* a firing alert resolves once clear this long */
} RuleOpts;

typedef struct NameInt {
        char *name;
        int value;
} NameInt;

typedef struct NameList {
        char *name;
        char **items;
        size_t n;
} NameList;

typedef struct MeetingCfg {
        char *id;
        int capacity;    /* 0: default */
        int video_limit; /* 0: default */
        NameInt *quotas;
        size_t nquotas;
} MeetingCfg;

typedef struct Config {
        int capacity;
        int video_limit;
        RuleOpts rules[RULE_COUNT];
        double cap_warn_pct, cap_crit_pct, cap_hyst_pct;
        double video_margin, video_hyst;
        double unident_threshold;
        double wait_max_s;
        int wait_max_count;
        double wait_hyst;   /* entries; the count condition clears below max - this */
        double wait_hyst_s; /* seconds; the time condition clears at max_wait - this */
        int jf_count;
        double jf_hyst;
        double jf_window_s;
        double lag_s;          /* lag rule: event time behind arrival */
        double feed_silence_s; /* feed rule: silence of a live source */
        int drift_max;         /* drift rule: corrections one reconcile may make */
        double retire_after_s; /* state.retire_ended_after: ended meeting -> summary */
        double forget_after_s; /* state.forget_ended_after: summary dropped; 0 never */
        double dup_window_s;   /* state.duplicate_window: how long duplicates are known */
        double clock_ahead_s;  /* state.max_clock_ahead: event time over recv */
        NameInt *quotas;
        size_t nquotas;
        NameList *aliases; /* name = target, items = the aliases (one each) */
        size_t naliases;
        NameList *orgs;
        size_t norgs;
        MeetingCfg *meetings;
        size_t nmeetings;
        char *roster;
        char **hooks;
        size_t nhooks;
} Config;

void Config_init(Config *c);
void Config_done(Config *c);
/* Load a JSON configuration file over the current values. 0, or -1 with a message
 * naming the file and the offending key in err. */
int Config_load(Config *c, const char *path, char *err, size_t errlen);
/* Same, from text (for tests); origin names it in messages. */
int Config_load_text(Config *c, const char *text, size_t len, const char *origin, char *err,
                     size_t errlen);
const MeetingCfg *Config_meeting(const Config *c, const char *id);
/* The effective configuration as a JSON object in the file's own format (every
 * key, defaults included; durations in seconds), loadable again by Config_load.
 * A new reference. */
struct json_t;
struct json_t *Config_to_json(const Config *c);

#endif
