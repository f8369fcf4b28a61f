/* capmon relay: the webhook receiver and WebSocket fan-out (docs/live.md). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "metrics.h"
#include "relay.h"
#include "util.h"

static const char RELAY_HELP[] =
    "usage: capmon relay [OPTIONS]\n"
    "\n"
    "Receive Zoom webhooks (POST /zoom) and capmon extension events (POST /events),\n"
    "append each accepted event to the log and flush it to disk (or have Redis take\n"
    "it, with --store) before answering, and stream the log to monitors over\n"
    "WebSocket (GET /events?since=N[&meeting=ID]...).\n"
    "\n"
    "  --listen ADDR:PORT   address to bind (default 127.0.0.1:8787; [::1]:PORT for IPv6)\n"
    "  --log FILE           the relay's log (default capmon-relay.log); resumed when it exists\n"
    "  --store redis://HOST:PORT/STREAM\n"
    "                       keep the log in a Redis stream shared by several relays instead\n"
    "                       (rediss:// for TLS; password from CAPMON_REDIS_PASSWORD or\n"
    "                       --redis-password-file; see docs/redis.md)\n"
    "  --redis-password-file FILE  the Redis password (else CAPMON_REDIS_PASSWORD[_FILE])\n"
    "  --maxlen N           keep about N entries in the stream (XADD MAXLEN ~; default\n"
    "                       1000000; 0: unbounded)\n"
    "  --wait-replicas N    answer 2xx only once N Redis replicas have the batch (WAIT)\n"
    "  --wait-timeout MS    how long WAIT may take (default 1000); fewer replicas: 503\n"
    "  --cache-dir DIR      where the private copy of the stream lives (default $TMPDIR or\n"
    "                       /tmp; deleted when the relay stops)\n"
    "  --cert FILE          TLS certificate (PEM), with --key: serve https/wss\n"
    "  --key FILE           TLS private key (PEM)\n"
    "  --secret-file FILE   webhook secret token (else CAPMON_WEBHOOK_SECRET)\n"
    "  --token-file FILE    bearer token for /events and subscribers (else CAPMON_TOKEN)\n"
    "  --record FILE        also append every POST body received (refused ones as invalid\n"
    "                       records with the reason)\n"
    "  --body-max BYTES     largest accepted body (default 262144); larger: 413\n"
    "  --max-subscribers N  concurrent WebSocket subscribers (default 256)\n"
    "  --max-behind N       records a subscriber may lag before it is dropped (default 100000)\n"
    "  --metrics ADDR:PORT  serve Prometheus metrics at GET /metrics (':PORT': 127.0.0.1)\n"
    "  -h, --help           this help\n"
    "\n"
    "Secrets are never taken from the command line. GET /healthz answers {\"ok\":true,...}.\n"
    "Exit status: 0 stopped by SIGINT/SIGTERM, 1 runtime failure, 2 usage error.\n";

enum {
        OPT_LISTEN = 1,
        OPT_LOG,
        OPT_CERT,
        OPT_KEY,
        OPT_SECRET_FILE,
        OPT_TOKEN_FILE,
        OPT_RRECORD,
        OPT_BODY_MAX,
        OPT_MAX_SUBS,
        OPT_MAX_BEHIND,
        OPT_METRICS,
        OPT_STORE,
        OPT_REDIS_PW,
        OPT_MAXLEN,
        OPT_WAIT,
        OPT_WAIT_MS,
        OPT_CACHE_DIR,
};

static volatile sig_atomic_t relay_stop;
static Relay *relay_running;

static void on_signal(int sig)
{
        (void)sig;
        relay_stop = 1;
        Relay_wake(relay_running);
}

static void log_line(void *ud, const char *line)
{
        (void)ud;
        char t[40];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        time_format((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, t, sizeof t);
        fprintf(stderr, "capmon relay: %s %s\n", t, line);
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" / "PORT". */
static int cli_listen(const char *arg, char **addr, int *port)
{
        const char *colon = strrchr(arg, ':');
        const char *p = colon ? colon + 1 : arg;
        int v;
        if (cli_int("--listen", p, 0, 65535, &v))
                return -1;
        *port = v;
        free(*addr);
        *addr = NULL;
        if (colon && colon > arg) {
                const char *a = arg;
                size_t n = (size_t)(colon - arg);
                if (a[0] == '[' && n >= 2 && a[n - 1] == ']') {
                        a++;
                        n -= 2;
                }
                *addr = xstrndup(a, n);
        }
        return 0;
}

int cmd_relay(int argc, char **argv)
{
        static const struct option longopts[] = {
            {"listen", required_argument, NULL, OPT_LISTEN},
            {"log", required_argument, NULL, OPT_LOG},
            {"cert", required_argument, NULL, OPT_CERT},
            {"key", required_argument, NULL, OPT_KEY},
            {"secret-file", required_argument, NULL, OPT_SECRET_FILE},
            {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
            {"record", required_argument, NULL, OPT_RRECORD},
            {"body-max", required_argument, NULL, OPT_BODY_MAX},
            {"max-subscribers", required_argument, NULL, OPT_MAX_SUBS},
            {"max-behind", required_argument, NULL, OPT_MAX_BEHIND},
            {"metrics", required_argument, NULL, OPT_METRICS},
            {"store", required_argument, NULL, OPT_STORE},
            {"redis-password-file", required_argument, NULL, OPT_REDIS_PW},
            {"maxlen", required_argument, NULL, OPT_MAXLEN},
            {"wait-replicas", required_argument, NULL, OPT_WAIT},
            {"wait-timeout", required_argument, NULL, OPT_WAIT_MS},
            {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        RelayCfg cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.port = 8787;
        cfg.log_path = "capmon-relay.log";
        char *addr = NULL;
        const char *secret_file = NULL, *token_file = NULL;
        int c, v, log_given = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
                switch (c) {
                case 'h':
                        fputs(RELAY_HELP, stdout);
                        free(addr);
                        return 0;
                case OPT_LISTEN:
                        if (cli_listen(optarg, &addr, &cfg.port))
                                return free(addr), EXIT_USAGE;
                        break;
                case OPT_LOG:
                        cfg.log_path = optarg;
                        log_given = 1;
                        break;
                case OPT_STORE:
                        if (strcmp(optarg, "file") != 0 && strncmp(optarg, "redis://", 8) != 0 &&
                            strncmp(optarg, "rediss://", 9) != 0) {
                                free(addr);
                                return cli_usage_error("relay",
                                                       "--store: \"%s\" is not file, redis:// "
                                                       "or rediss://",
                                                       optarg);
                        }
                        cfg.store = optarg;
                        break;
                case OPT_REDIS_PW:
                        cfg.redis_password_file = optarg;
                        break;
                case OPT_MAXLEN:
                        if (cli_int("--maxlen", optarg, 0, 2000000000, &v))
                                return free(addr), EXIT_USAGE;
                        cfg.redis_maxlen = v ? v : -1;
                        break;
                case OPT_WAIT:
                        if (cli_int("--wait-replicas", optarg, 0, 100, &v))
                                return free(addr), EXIT_USAGE;
                        cfg.redis_wait = v;
                        break;
                case OPT_WAIT_MS:
                        if (cli_int("--wait-timeout", optarg, 1, 60000, &v))
                                return free(addr), EXIT_USAGE;
                        cfg.redis_wait_ms = v;
                        break;
                case OPT_CACHE_DIR:
                        cfg.cache_dir = optarg;
                        break;
                case OPT_CERT:
                        cfg.cert = optarg;
                        break;
                case OPT_KEY:
                        cfg.key = optarg;
                        break;
                case OPT_SECRET_FILE:
                        secret_file = optarg;
                        break;
                case OPT_TOKEN_FILE:
                        token_file = optarg;
                        break;
                case OPT_RRECORD:
                        cfg.record_path = optarg;
                        break;
                case OPT_BODY_MAX:
                        if (cli_int("--body-max", optarg, 64, LOG_LINE_MAX / 2, &v))
                                return free(addr), EXIT_USAGE;
                        cfg.ingest.body_max = (size_t)v;
                        break;
                case OPT_MAX_SUBS:
                        if (cli_int("--max-subscribers", optarg, 1, 100000, &v))
                                return free(addr), EXIT_USAGE;
                        cfg.max_subscribers = (size_t)v;
                        break;
                case OPT_MAX_BEHIND:
                        if (cli_int("--max-behind", optarg, 1, 1000000000, &v))
                                return free(addr), EXIT_USAGE;
                        cfg.max_behind = v;
                        break;
                case OPT_METRICS: {
                        char merr[200], *maddr;
                        int mport;
                        if (metrics_parse_listen(optarg, &maddr, &mport, merr, sizeof merr)) {
                                free(addr);
                                return cli_usage_error("relay", "%s", merr);
                        }
                        free(maddr);
                        cfg.metrics = optarg;
                        break;
                }
                case ':':
                        free(addr);
                        return cli_usage_error("relay", "%s needs a value", argv[optind - 1]);
                default:
                        free(addr);
                        return cli_usage_error("relay", "unknown option %s", argv[optind - 1]);
                }
        }
        if (optind < argc) {
                free(addr);
                return cli_usage_error("relay", "unexpected argument \"%s\"", argv[optind]);
        }
        if (!cfg.cert != !cfg.key) {
                free(addr);
                return cli_usage_error("relay", "--cert and --key go together");
        }
        int redis = cfg.store && strcmp(cfg.store, "file") != 0;
        if (redis && log_given) {
                free(addr);
                return cli_usage_error("relay", "--log is the file store's log; with --store "
                                                "redis:// the stream is the log");
        }
        if (!redis && (cfg.redis_password_file || cfg.redis_maxlen || cfg.redis_wait ||
                       cfg.redis_wait_ms || cfg.cache_dir)) {
                free(addr);
                return cli_usage_error("relay", "--redis-password-file, --maxlen, "
                                                "--wait-replicas, --wait-timeout and --cache-dir "
                                                "need --store redis://");
        }
        char err[512];
        char *secret = NULL, *token = NULL;
        if (ingest_read_secret(secret_file, "CAPMON_WEBHOOK_SECRET", &secret, err, sizeof err) ||
            ingest_read_secret(token_file, "CAPMON_TOKEN", &token, err, sizeof err)) {
                cli_error("%s", err);
                free(secret);
                free(addr);
                return EXIT_RUNTIME;
        }
        if (!secret && !token) {
                cli_error("relay: no webhook secret (CAPMON_WEBHOOK_SECRET or --secret-file) and "
                          "no token (CAPMON_TOKEN or --token-file)");
                free(addr);
                return EXIT_USAGE;
        }
        if (!secret)
                log_line(NULL, "no webhook secret: POST /zoom answers 503");
        if (!token)
                log_line(NULL, "no token: POST /events and subscribers are refused");
        cfg.addr = addr;
        cfg.ingest.secret = secret;
        cfg.ingest.token = token;
        cfg.ingest.log = log_line;
        signal(SIGPIPE, SIG_IGN);
        signal(SIGXFSZ, SIG_IGN); /* over a file size limit: EFBIG, answered 503 */
        Relay *r = Relay_new(&cfg, err, sizeof err);
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
                if (Relay_run(r, &relay_stop))
                        rc = EXIT_RUNTIME;
                relay_running = NULL;
                Relay_free(r);
        }
        free(secret);
        free(token);
        free(addr);
        return rc;
}
