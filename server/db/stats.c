/*
 * SQL of the complaint statistics (see stats.h).  The rows come in the
 * order the function returns them (WITH ORDINALITY keeps it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/stats.h"

const char *const db_stats_dimensions[DB_STATS_DIMENSION_COUNT]
    = { "sex",    "nationality", "destination_country",
        "sector", "category",    "channel",
        "status", "month" };

/* The dimensions' columns (in db_stats_dimensions order), then count and
   suppressed. */
#define STATS_COLUMNS                                                          \
  "s.sex, s.nationality, s.destination_country, s.sector, s.category,"         \
  " s.channel, s.status, s.month, s.count, s.suppressed"
#define STATS_COUNT_COLUMN DB_STATS_DIMENSION_COUNT
#define STATS_SUPPRESSED_COLUMN (DB_STATS_DIMENSION_COUNT + 1)

DB_STATEMENT (stats_complaints_public,
              "SELECT " STATS_COLUMNS " FROM pub_complaint_stats("
              "$1::text[], $2::date, $3::date) WITH ORDINALITY AS s"
              " ORDER BY s.ordinality");

DB_STATEMENT (stats_complaints_full,
              "SELECT " STATS_COLUMNS " FROM complaint_stats("
              "$1::text[], $2::date, $3::date, false) WITH ORDINALITY AS s"
              " ORDER BY s.ordinality");

/* Row ROW of RES as {dimension: value, ..., count[, suppressed]}. */
static json_t *
row_json (const PGresult *res, int row, const unsigned *dims, size_t ndims,
          bool full)
{
  json_t *object = json_object ();
  for (size_t i = 0; i < ndims; i++)
  {
    int column = (int) dims[i];
    json_object_set_new (object, db_stats_dimensions[dims[i]],
                         PQgetisnull (res, row, column)
                             ? json_null ()
                             : json_string (PQgetvalue (res, row, column)));
  }
  const char *count = PQgetvalue (res, row, STATS_COUNT_COLUMN);
  json_object_set_new (object, "count",
                       PQgetisnull (res, row, STATS_COUNT_COLUMN)
                           ? json_null ()
                           : json_integer (strtoll (count, NULL, 10)));
  if (!full && 't' == PQgetvalue (res, row, STATS_SUPPRESSED_COLUMN)[0])
    json_object_set_new (object, "suppressed", json_true ());
  return object;
}

json_t *
db_stats_complaints (struct db_conn *conn, const unsigned *dims, size_t ndims,
                     const char *from, const char *to, bool full)
{
  /* A text[] literal of vocabulary words: nothing to quote. */
  char group_by[256] = "{";
  size_t used = 1;
  for (size_t i = 0; i < ndims; i++)
  {
    int n = snprintf (group_by + used, sizeof group_by - used, "%s%s",
                      (0 == i) ? "" : ",", db_stats_dimensions[dims[i]]);
    if (n < 0 || (size_t) n >= sizeof group_by - used)
      return NULL;
    used += (size_t) n;
  }
  if (used + 2 > sizeof group_by)
    return NULL;
  memcpy (group_by + used, "}", 2);

  const char *params[] = { group_by, from, to };
  int qs;
  PGresult *res
      = db_run (conn, full ? &stats_complaints_full : &stats_complaints_public,
                3, params, &qs);
  json_t *rows = NULL;
  if (qs >= 0)
  {
    rows = json_array ();
    for (int row = 0; row < qs; row++)
      json_array_append_new (rows, row_json (res, row, dims, ndims, full));
  }
  PQclear (res);
  return rows;
}
