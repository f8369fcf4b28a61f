/* Zoom's live participant list read for a reconcile (reconcile.c): each page's
 * text to the rows the capmon.reconcile record keeps, as JSON text, and the
 * record itself.
 *
 * Two readers give the same rows, byte for byte: the fast one (simdjson's DOM
 * parser, which validates the whole page as jansson does), and the reference
 * (jansson, Event_reconcile_row, the keep_row of the record format). The fast
 * one hands every page it cannot read exactly as the reference would (duplicate
 * keys, \u0000, integers past int64, reals or nested values in a row, a bad
 * row, a malformed page) to the reference, so the outcome, error text
 * included, is always the reference's. tests/test_zoom_rows.c and the fuzz
 * target tests/fuzz/fuzz_zoom_rows.c hold them to each other.
 *
 * A row kept: user_id, participant_uuid, id, user_name, email, registrant_id,
 * phone_number, join_time, status, in this order, those present and not null
 * (device and network fields stay out of the log); rows with a non-empty
 * leave_time (people who left stay in Zoom's list) are skipped. */
#ifndef CAPMON_ZOOM_ROWS_H
#define CAPMON_ZOOM_ROWS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ZoomRows ZoomRows;

ZoomRows *ZoomRows_new(void);
void ZoomRows_free(ZoomRows *z); /* NULL-safe */
/* Forget the rows read: a new list begins. */
void ZoomRows_reset(ZoomRows *z);

/* Read one page (len bytes of a 200 answer) and add its rows. 0, or -1 when
 * the page is not a JSON object with a "participants" array (and a string
 * next_page_token if any), with the reason in why ("is not JSON: ...", "has no
 * \"participants\" array"); nothing of that page is then added. */
int ZoomRows_page(ZoomRows *z, const char *text, size_t len, char *why, size_t whylen);
/* The same through the reference only. */
int ZoomRows_page_ref(ZoomRows *z, const char *text, size_t len, char *why, size_t whylen);

/* The last page's next_page_token ("" when none). */
const char *ZoomRows_next(const ZoomRows *z);
/* Rows kept so far; the first bad row's reason (Event_reconcile_row: no
 * session key, unknown status, not an object) or NULL. */
size_t ZoomRows_count(const ZoomRows *z);
const char *ZoomRows_bad(const ZoomRows *z);
/* The rows kept, as the JSON text of their array's elements (no brackets). */
const char *ZoomRows_text(const ZoomRows *z, size_t *len);
/* Pages the fast reader handed to the reference. */
unsigned long ZoomRows_fallbacks(const ZoomRows *z);

/* The capmon.reconcile event body of these rows (docs/formats.md), as jansson
 * would dump it compact: event_ts fetch_ms, payload.object uuid, id, topic
 * (each when not NULL), fetch_started and participants. Free with free(). */
char *ZoomRows_record(const ZoomRows *z, const char *uuid, const char *id, const char *topic,
                      int64_t fetch_ms, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
