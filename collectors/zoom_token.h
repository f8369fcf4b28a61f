/* Zoom Server-to-Server OAuth access token (grant account_credentials), shared
 * by everything of one process that talks to Zoom: the `zoom` WebSocket source
 * and the REST client (zoom_api.h). Credentials from the environment:
 * ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET; token endpoint
 * https://zoom.us/oauth/token, overridable with CAPMON_ZOOM_OAUTH_URL (tests).
 *
 * A token is fetched on first use, renewed on a timer before it expires (at 80 %
 * of its life, at most 5 min early), and fetched anew when a user says Zoom
 * refused it (ZoomToken_refused, e.g. on an HTTP 401). One request at a time:
 * every user waiting meanwhile gets the same answer. */
#ifndef CAPMON_ZOOM_TOKEN_H
#define CAPMON_ZOOM_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

typedef struct ZoomToken ZoomToken;
typedef struct ZoomTokenWait ZoomTokenWait;

/* token: the access token (borrowed for the call), or NULL with why in error. */
typedef void (*ZoomTokenFn)(void *ud, const char *token, const char *error);
/* One line for the log (the token itself never appears in it). */
typedef void (*ZoomTokenLogFn)(void *ud, const char *line);

/* 1 when the three credentials are set (and not empty). */
int ZoomToken_configured(void);
/* NULL with "zoom: missing environment: ..." in err. */
ZoomToken *ZoomToken_new(Loop *loop, ZoomTokenLogFn log, void *ud, char *err, size_t errlen);
/* Waiters are dropped without a call. NULL-safe. */
void ZoomToken_free(ZoomToken *t);

/* fn gets a token valid for at least a few more seconds: at once (inside this
 * call, returning NULL) when one is at hand, else once fetched (returning a
 * handle that ZoomTokenWait_cancel can drop before then). fresh: do not use the
 * current one, fetch another (a reconnect after a failure). */
ZoomTokenWait *ZoomToken_get(ZoomToken *t, int fresh, ZoomTokenFn fn, void *ud);
void ZoomTokenWait_cancel(ZoomTokenWait *w); /* NULL-safe */
/* Zoom refused `token` (HTTP 401): forget it, if it is still the current one. */
void ZoomToken_refused(ZoomToken *t, const char *token);
/* Tokens fetched so far (metrics, tests). */
uint64_t ZoomToken_fetched(const ZoomToken *t);

#endif
