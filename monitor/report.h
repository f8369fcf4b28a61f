/* Attendance from event logs (docs/report.md): per person, merged across rejoins
 * and devices, and per delegation. Records go through a Monitor, so duplicates,
 * stale and orphan events follow the state rules exactly; only applied events
 * move the attendance. */
#ifndef CAPMON_REPORT_H
#define CAPMON_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "message.h"
#include "state.h"

typedef enum ReportBy { REPORT_BY_PERSON, REPORT_BY_DELEGATION } ReportBy;

typedef struct Report Report;

/* cfg must outlive the report (roster, aliases and organisations are used). */
Report *Report_new(const Config *cfg, char *err, size_t errlen);
void Report_free(Report *r);

/* Feed one message read once (any accepted shape); returns its outcome, as
 * Monitor_feed_msg (reason in err on OUT_INVALID). The attendance follows the
 * events the monitor applies. */
Outcome Report_feed(Report *r, const Msg *msg, char *err, size_t errlen);
/* Count a line that could not be read as JSON. */
void Report_count_invalid(Report *r);
/* End of input: sessions still open are counted up to the last event time. */
void Report_finish(Report *r);

const Counters *Report_counters(const Report *r);

/* Output (after Report_finish). */
json_t *Report_json(const Report *r, ReportBy by);
/* 0, or -1 on a write error (errno). */
int Report_csv(const Report *r, ReportBy by, FILE *f);

#endif
