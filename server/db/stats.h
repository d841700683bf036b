/*
 * Complaint statistics (GET /v1/stats/complaints): counts of complaints
 * grouped by any of eight dimensions over whole months, from the schema's
 * functions (schema/0070_stats_audit.sql).  The public figures come from
 * pub_complaint_stats, which fairreg_public may run and which suppresses
 * small cells and the cells that would give them away; analysts' figures
 * come from complaint_stats, which only fairreg_app may run.  Neither ever
 * answers anything but counts.
 */
#ifndef FAIRREG_DB_STATS_H
#define FAIRREG_DB_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"

/* The dimensions complaints may be grouped by, in the order of the columns
   of complaint_stats. */
#define DB_STATS_DIMENSION_COUNT 8
extern const char *const db_stats_dimensions[DB_STATS_DIMENSION_COUNT];

/* Counts grouped by the NDIMS dimensions DIMS (distinct indices into
   db_stats_dimensions, in the order asked), over the months FROM..TO
   ("YYYY-MM-01"; NULL: open), in the schema's row order.  FULL: every
   count, from complaint_stats (CONN must be the application connection);
   otherwise the public figures, from pub_complaint_stats.  Returns a new
   array of rows {dimension: value or null, ..., "count": n or null}, where
   a public row whose count is suppressed also has "suppressed": true; NULL
   if the database failed. */
json_t *db_stats_complaints (struct db_conn *conn, const unsigned *dims,
                             size_t ndims, const char *from, const char *to,
                             bool full);

#endif
