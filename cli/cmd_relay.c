/* capmon relay: the webhook receiver and WebSocket fan-out (docs/live.md). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "log.h"
#include "metrics.h"
#include "relay.h"
#include "util.h"

static volatile sig_atomic_t relay_stop;
static Relay *relay_running;

static void on_signal(int sig)
{
        relay_stop = sig;
        Relay_wake(relay_running);
}

static void on_hup(int sig)
{
        (void)sig;
        Log_reopen(); /* async-signal safe: logrotate moved the file away */
}

static void log_line(void *ud, const char *line)
{
        (void)ud;
        Log_text(line);
}

typedef struct RelayOpts {
        RelayCfg cfg;
        char *addr;
        const char *secret_file, *token_file;
        int log_given;
        const char *log_file;                       /* --log-file: capmon's own log lines */
        int log_format;                             /* LogFormat: --log-format */
        int maxlen, body_max, max_subs, max_behind; /* -1: not given */
} RelayOpts;

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" / "PORT". */
static int set_listen(void *opts, const char *arg, char *err, size_t errlen)
{
        RelayOpts *o = opts;
        const char *colon = strrchr(arg, ':');
        const char *p = colon ? colon + 1 : arg;
        int64_t v;
        if (parse_int64(p, &v) || v < 0 || v > 65535)
                return xsnprintf(err, errlen,
                                 "expected [ADDR:]PORT with a port from 0 to 65535, "
                                 "got \"%s\"",
                                 arg),
                       -1;
        o->cfg.port = (int)v;
        free(o->addr);
        o->addr = NULL;
        if (colon && colon > arg) {
                const char *a = arg;
                size_t n = (size_t)(colon - arg);
                if (a[0] == '[' && n >= 2 && a[n - 1] == ']') {
                        a++;
                        n -= 2;
                }
                o->addr = xstrndup(a, n);
        }
        return 0;
}

static int set_log(void *opts, const char *path, char *err, size_t errlen)
{
        (void)err, (void)errlen;
        RelayOpts *o = opts;
        o->cfg.log_path = path;
        o->log_given = 1;
        return 0;
}

static int set_store(void *opts, const char *v, char *err, size_t errlen)
{
        RelayOpts *o = opts;
        if (strcmp(v, "file") != 0 && strncmp(v, "redis://", 8) != 0 &&
            strncmp(v, "rediss://", 9) != 0)
                return xsnprintf(err, errlen, "\"%s\" is not file, redis:// or rediss://", v), -1;
        o->cfg.store = v;
        return 0;
}

static const CliOpt RELAY_OPTS[] = {
    {"listen", 0, CLI_CALL, 0, "ADDR:PORT",
     "address to bind (default 127.0.0.1:8787; [::1]:PORT for IPv6)", 0, 0, set_listen},
    {"log", 0, CLI_CALL, 0, "FILE",
     "the relay's log (default capmon-relay.log; under systemd's\n"
     "StateDirectory=, $STATE_DIRECTORY/capmon-relay.log); resumed when it exists",
     0, 0, set_log},
    {"log-file", 0, CLI_STRING, offsetof(RelayOpts, log_file), "FILE",
     "append the relay's own log lines to FILE (default: standard\n"
     "error); SIGHUP reopens it (logrotate)",
     0, 0, NULL},
    {"log-format", 0, CLI_CHOICE, offsetof(RelayOpts, log_format), "text|json",
     "log lines as text (default) or one JSON object each", 0, 0, NULL},
    {"store", 0, CLI_CALL, 0, "redis://HOST:PORT/STREAM",
     "keep the log in a Redis stream shared by several relays instead\n"
     "(rediss:// for TLS; password from CAPMON_REDIS_PASSWORD or\n"
     "--redis-password-file; see docs/redis.md)",
     0, 0, set_store},
    {"redis-password-file", 0, CLI_STRING, offsetof(RelayOpts, cfg.redis_password_file), "FILE",
     "the Redis password (else CAPMON_REDIS_PASSWORD[_FILE])", 0, 0, NULL},
    {"maxlen", 0, CLI_INT, offsetof(RelayOpts, maxlen), "N",
     "keep about N entries in the stream (XADD MAXLEN ~; default\n1000000; 0: unbounded)", 0,
     2000000000, NULL},
    {"wait-replicas", 0, CLI_INT, offsetof(RelayOpts, cfg.redis_wait), "N",
     "answer 2xx only once N Redis replicas have the batch (WAIT)", 0, 100, NULL},
    {"wait-timeout", 0, CLI_INT, offsetof(RelayOpts, cfg.redis_wait_ms), "MS",
     "how long WAIT may take (default 1000); fewer replicas: 503", 1, 60000, NULL},
    {"cache-dir", 0, CLI_STRING, offsetof(RelayOpts, cfg.cache_dir), "DIR",
     "where the private copy of the stream lives (default $TMPDIR or\n"
     "/tmp; deleted when the relay stops)",
     0, 0, NULL},
    {"reconcile-interval", 0, CLI_INT, offsetof(RelayOpts, cfg.reconcile_interval), "S",
     "append Zoom's live participant list of each meeting the\n"
     "webhooks name to the log every S seconds (Dashboard API;\n"
     "ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET); relays\n"
     "sharing a Redis stream elect one to do it (default 0: never)",
     0, 7 * 86400, NULL},
    {"video-qos", 0, CLI_INT, offsetof(RelayOpts, cfg.video_qos), "S",
     "append a camera estimate from Zoom's live QoS list of each\n"
     "meeting the webhooks name every S seconds (pages of 10: a\n"
     "1,000-person sweep is 100 requests; below 180 s that outruns\n"
     "Zoom's Heavy daily limit, warned); the same election",
     10, 7 * 86400, NULL},
    {"cert", 0, CLI_STRING, offsetof(RelayOpts, cfg.cert), "FILE",
     "TLS certificate (PEM), with --key: serve https/wss", 0, 0, NULL},
    {"key", 0, CLI_STRING, offsetof(RelayOpts, cfg.key), "FILE", "TLS private key (PEM)", 0, 0,
     NULL},
    {"secret-file", 0, CLI_STRING, offsetof(RelayOpts, secret_file), "FILE",
     "webhook secret token (else CAPMON_WEBHOOK_SECRET)", 0, 0, NULL},
    {"token-file", 0, CLI_STRING, offsetof(RelayOpts, token_file), "FILE",
     "bearer token for /events and subscribers (else CAPMON_TOKEN)", 0, 0, NULL},
    {"record", 0, CLI_STRING, offsetof(RelayOpts, cfg.record_path), "FILE",
     "also append every POST body received (refused ones as invalid\n"
     "records with the reason)",
     0, 0, NULL},
    {"body-max", 0, CLI_INT, offsetof(RelayOpts, body_max), "BYTES",
     "largest accepted body (default 262144); larger: 413", 64, LOG_LINE_MAX / 2, NULL},
    {"max-subscribers", 0, CLI_INT, offsetof(RelayOpts, max_subs), "N",
     "concurrent WebSocket subscribers (default 256)", 1, 100000, NULL},
    {"max-behind", 0, CLI_INT, offsetof(RelayOpts, max_behind), "N",
     "records a subscriber may lag before it is dropped (default 100000)", 1, 1000000000, NULL},
    {"metrics", 0, CLI_STRING, offsetof(RelayOpts, cfg.metrics), "ADDR:PORT",
     "serve Prometheus metrics at GET /metrics (':PORT': 127.0.0.1)", 0, 0, cli_listen_addr},
    CLI_OPT_END,
};

static const CliCommand RELAY_CMD = {
    "relay",
    "[OPTIONS]",
    "Receive Zoom webhooks (POST /zoom) and capmon extension events (POST /events),\n"
    "append each accepted event to the log and flush it to disk (or have Redis take\n"
    "it, with --store) before answering, and stream the log to monitors over\n"
    "WebSocket (GET /events?since=N[&meeting=ID]...).\n",
    RELAY_OPTS,
    "Secrets are never taken from the command line. GET /healthz answers {\"ok\":true,...}.\n"
    "Exit status: 0 stopped by SIGINT/SIGTERM, 1 runtime failure, 2 usage error.\n",
    0,
    0,
    "argument",
    0,
};

/* The combinations the table cannot say; CLI_RUN or the usage error's status. */
static int relay_check(RelayOpts *o)
{
        RelayCfg *cfg = &o->cfg;
        int redis = cfg->store && strcmp(cfg->store, "file") != 0;
        if (!cfg->cert != !cfg->key)
                return cli_usage(&RELAY_CMD, "--cert and --key go together");
        if (redis && o->log_given)
                return cli_usage(&RELAY_CMD, "--log is the file store's log; with --store "
                                             "redis:// the stream is the log");
        if (!redis && (cfg->redis_password_file || o->maxlen >= 0 || cfg->redis_wait ||
                       cfg->redis_wait_ms || cfg->cache_dir))
                return cli_usage(&RELAY_CMD, "--redis-password-file, --maxlen, "
                                             "--wait-replicas, --wait-timeout and --cache-dir "
                                             "need --store redis://");
        if (o->maxlen >= 0)
                cfg->redis_maxlen = o->maxlen ? o->maxlen : -1;
        if (o->body_max >= 0)
                cfg->ingest.body_max = (size_t)o->body_max;
        if (o->max_subs >= 0)
                cfg->max_subscribers = (size_t)o->max_subs;
        if (o->max_behind >= 0)
                cfg->max_behind = o->max_behind;
        return CLI_RUN;
}

static int relay_run(RelayOpts *o)
{
        RelayCfg *cfg = &o->cfg;
        char err[512];
        char *secret = NULL, *token = NULL;
        if (Log_open("capmon relay", o->log_file, (LogFormat)o->log_format, err, sizeof err)) {
                cli_error("%s", err);
                return EXIT_RUNTIME;
        }
        if (ingest_read_secret(o->secret_file, "CAPMON_WEBHOOK_SECRET", &secret, err, sizeof err) ||
            ingest_read_secret(o->token_file, "CAPMON_TOKEN", &token, err, sizeof err)) {
                cli_error("%s", err);
                free(secret);
                return EXIT_RUNTIME;
        }
        if (!secret && !token) {
                cli_error("relay: no webhook secret (CAPMON_WEBHOOK_SECRET or --secret-file) and "
                          "no token (CAPMON_TOKEN or --token-file)");
                return EXIT_USAGE;
        }
        if (!secret)
                log_line(NULL, "warning: no webhook secret: POST /zoom answers 503");
        if (!token)
                log_line(NULL, "warning: no token: POST /events and subscribers are refused");
        cfg->addr = o->addr;
        cfg->ingest.secret = secret;
        cfg->ingest.token = token;
        cfg->ingest.log = log_line;
        signal(SIGPIPE, SIG_IGN);
        signal(SIGXFSZ, SIG_IGN); /* over a file size limit: EFBIG, answered 503 */
        Relay *r = Relay_new(cfg, err, sizeof err);
        int rc = 0;
        if (!r) {
                cli_error("relay: %s", err);
                rc = EXIT_RUNTIME;
        } else {
                relay_running = r;
                struct sigaction sa;
                memset(&sa, 0, sizeof sa);
                sa.sa_handler = on_signal;
                sigaction(SIGINT, &sa, NULL);
                sigaction(SIGTERM, &sa, NULL);
                sa.sa_handler = on_hup;
                sigaction(SIGHUP, &sa, NULL);
                if (Relay_run(r, &relay_stop))
                        rc = EXIT_RUNTIME;
                if (relay_stop)
                        Log_printf(LOG_INFO, "%s: stopped cleanly",
                                   relay_stop == SIGTERM ? "SIGTERM" : "SIGINT");
                relay_running = NULL;
                Relay_free(r);
        }
        free(secret);
        free(token);
        Log_close();
        return rc;
}

int cmd_relay(int argc, char **argv)
{
        RelayOpts o;
        memset(&o, 0, sizeof o);
        o.cfg.port = 8787;
        /* under systemd's StateDirectory= the log lives there, never in the
         * working directory (examples/systemd/capmon-relay.service) */
        char state_log[4096];
        const char *state = getenv("STATE_DIRECTORY");
        o.cfg.log_path = "capmon-relay.log";
        if (state && *state) {
                size_t n = strcspn(state, ":"); /* several directories: the first */
                xsnprintf(state_log, sizeof state_log, "%.*s/capmon-relay.log", (int)n, state);
                o.cfg.log_path = state_log;
        }
        o.maxlen = o.body_max = o.max_subs = o.max_behind = -1;
        char **ops;
        size_t nops;
        int rc = cli_parse(&RELAY_CMD, &o, argc, argv, &ops, &nops);
        if (rc == CLI_RUN)
                rc = relay_check(&o);
        if (rc == CLI_RUN)
                rc = relay_run(&o);
        free(o.addr);
        return rc;
}
