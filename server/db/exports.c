/*
 * SQL of the streamed exports, and the streams themselves (see exports.h).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/exports.h"
#include "db/licences.h"
#include "log.h"

struct db_stream
{
  struct db_conn *conn; /* the stream's own connection */
};

static atomic_int open_streams;

/* The CSV columns (DB_EXPORT_CSV_COLUMNS), by licence id. */
static const char csv_sql[]
    = "SELECT l.id, l.authority_code, l.authority_country, l.number,"
      " l.category, l.status, l.listed_status,"
      " to_char(l.valid_from, 'YYYY-MM-DD'), to_char(l.valid_until, "
      "'YYYY-MM-DD'),"
      " CASE WHEN l.in_good_standing THEN 'true' ELSE 'false' END,"
      " l.agency_id, l.agency_name"
      " FROM pub_licence AS l ORDER BY l.id";

static const char json_sql[] = "SELECT (" DB_LICENCE_JSON_SQL ")::text"
                               " FROM pub_licence AS l ORDER BY l.id";

/* An optional element of the canonical format: absent rather than empty. */
#define XML_OPTIONAL(tag, value)                                               \
  "CASE WHEN nullif(btrim(" value "), '') IS NOT NULL"                         \
  " THEN xmlelement(name \"" tag "\", " value ") END"

/* The status a downstream registry must list so that its effective status
   is ours: the listed one, recomputed there from the same dates, except
   where one of our sanctions overrides it, which the list cannot carry. */
#define XML_STATUS                                                             \
  "CASE WHEN l.status_basis = 'sanction' THEN l.status"                        \
  " ELSE l.listed_status END"

/* One <agency> element of the canonical format per agency holding a licence
   of authority $1, its ref the authority's own key or a stable FR-<id>.  The
   XML functions escape the text; element names are quoted to keep their
   case. */
static const char xml_sql[]
    = "SELECT xmlelement(name agency,"
      " xmlattributes(CASE WHEN a.authority_code = $1"
      "   AND a.external_ref IS NOT NULL THEN a.external_ref"
      "   ELSE 'FR-' || a.id END AS ref),"
      " xmlelement(name name, a.name),"
      " (SELECT xmlagg(xmlelement(name \"otherName\","
      "     xmlattributes(n.lang AS lang, n.kind AS kind), n.name)"
      "   ORDER BY n.id)"
      "  FROM pub_agency_name AS n WHERE n.agency_id = a.id),"
      " xmlelement(name country, a.country),"
      " " XML_OPTIONAL (
          "registrationNumber",
          "a.registration_number") ","
                                   " " XML_OPTIONAL (
                                       "address",
                                       "a.address") ","
                                                    " " XML_OPTIONAL (
                                                        "phone",
                                                        "a.phone") ","
                                                                   " " XML_OPTIONAL (
                                                                       "email",
                                                                       "a."
                                                                       "email") ","
                                                                                " " XML_OPTIONAL (
                                                                                    "website",
                                                                                    "a.website") ","
                                                                                                 " (SELECT xmlagg(xmlelement(name officer,"
                                                                                                 "     xmlattributes(nullif(btrim(o.role), '') AS role), o.name)"
                                                                                                 "   ORDER BY o.id)"
                                                                                                 "  FROM pub_officer AS o WHERE o.agency_id = a.id),"
                                                                                                 " (SELECT xmlagg(xmlelement(name personnel,"
                                                                                                 "     xmlattributes(nullif(btrim(p.registration_number), '')"
                                                                                                 "       AS registration), p.name)"
                                                                                                 "   ORDER BY p.id)"
                                                                                                 "  FROM pub_personnel AS p WHERE p.agency_id = a.id),"
                                                                                                 " (SELECT xmlagg(xmlelement(name branch,"
                                                                                                 "     xmlelement(name address, b.address),"
                                                                                                 "     " XML_OPTIONAL (
                                                                                                     "city",
                                                                                                     "b.city") ","
                                                                                                               "     xmlelement(name country, b.country))"
                                                                                                               "   ORDER BY b.id)"
                                                                                                               "  FROM pub_branch AS b WHERE b.agency_id = a.id),"
                                                                                                               " (SELECT xmlagg(xmlelement(name licence,"
                                                                                                               "     xmlattributes(l.number AS number,"
                                                                                                               "       nullif(btrim(l.category), '') AS category,"
                                                                                                               "       " XML_STATUS
                                                                                                               " AS status,"
                                                                                                               "       (SELECT max(h.effective_on) FROM pub_licence_history AS h"
                                                                                                               "         WHERE h.licence_id = l.id AND h.status = " XML_STATUS
                                                                                                               ")"
                                                                                                               "         AS \"statusDate\"),"
                                                                                                               "     CASE WHEN l.valid_from IS NOT NULL"
                                                                                                               "       THEN xmlelement(name \"validFrom\", l.valid_from) END,"
                                                                                                               "     CASE WHEN l.valid_until IS NOT NULL"
                                                                                                               "       THEN xmlelement(name \"validUntil\", l.valid_until) END,"
                                                                                                               "     " XML_OPTIONAL (
                                                                                                                   "statusReason",
                                                                                                                   "l.status_reason") ")"
                                                                                                                                      "   ORDER BY l.id)"
                                                                                                                                      "  FROM pub_licence AS l"
                                                                                                                                      "  WHERE l.agency_id = a.id AND l.authority_code = $1)"
                                                                                                                                      ")::text"
                                                                                                                                      " FROM pub_agency AS a"
                                                                                                                                      " WHERE a.id IN (SELECT l.agency_id FROM pub_licence AS l"
                                                                                                                                      "                 WHERE l.authority_code = $1)"
                                                                                                                                      " ORDER BY a.id";

static bool
command_ok (PGresult *res)
{
  ExecStatusType status = PQresultStatus (res);
  bool ok = PGRES_COMMAND_OK == status || PGRES_TUPLES_OK == status;
  if (!ok)
    log_event ("error", "export: SQL failed: SQLSTATE %s",
               (NULL != PQresultErrorField (res, PG_DIAG_SQLSTATE))
                   ? PQresultErrorField (res, PG_DIAG_SQLSTATE)
                   : "(connection)");
  return ok;
}

/* Takes a slot and a connection, and begins the snapshot transaction. */
static enum db_stream_open
stream_begin (struct db_stream **stream)
{
  *stream = NULL;
  if (atomic_fetch_add (&open_streams, 1) >= DB_EXPORT_MAX_STREAMS)
  {
    atomic_fetch_sub (&open_streams, 1);
    return DB_STREAM_BUSY;
  }
  struct db_stream *s = calloc (1, sizeof *s);
  if (NULL == s)
    abort ();
  s->conn = db_connect_command (DB_KIND_PUBLIC);
  *stream = s;
  if (NULL == s->conn)
    return DB_STREAM_FAILED;
  PGresult *res = PQexec (db_pg (s->conn),
                          "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  bool ok = command_ok (res);
  PQclear (res);
  return ok ? DB_STREAM_OPEN : DB_STREAM_FAILED;
}

/* Declares the stream's cursor over SQL with NPARAMS PARAMS. */
static enum db_stream_open
stream_declare (struct db_stream *s, const char *sql, int nparams,
                const char *const *params)
{
  size_t size = strlen (sql) + 64;
  char *declare = malloc (size);
  if (NULL == declare)
    abort ();
  snprintf (declare, size, "DECLARE export NO SCROLL CURSOR FOR %s", sql);
  PGresult *res = PQexecParams (db_pg (s->conn), declare, nparams, NULL, params,
                                NULL, NULL, 0);
  free (declare);
  bool ok = command_ok (res);
  PQclear (res);
  return ok ? DB_STREAM_OPEN : DB_STREAM_FAILED;
}

/* Opens a stream over SQL (no parameters); on failure frees it. */
static enum db_stream_open
stream_open (const char *sql, struct db_stream **stream)
{
  enum db_stream_open rc = stream_begin (stream);
  if (DB_STREAM_OPEN == rc)
    rc = stream_declare (*stream, sql, 0, NULL);
  if (DB_STREAM_OPEN != rc)
  {
    db_stream_free (*stream);
    *stream = NULL;
  }
  return rc;
}

enum db_stream_open
db_export_licences_table (struct db_stream **stream)
{
  return stream_open (csv_sql, stream);
}

enum db_stream_open
db_export_licences_json (struct db_stream **stream)
{
  return stream_open (json_sql, stream);
}

enum db_stream_open
db_export_licences_xml (const char *authority, struct db_stream **stream,
                        char generated[32])
{
  enum db_stream_open rc = stream_begin (stream);
  const char *params[] = { authority };
  if (DB_STREAM_OPEN == rc)
  {
    PGresult *res = PQexecParams (
        db_pg ((*stream)->conn),
        "SELECT EXISTS (SELECT FROM pub_authority WHERE code = $1),"
        " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
        1, NULL, params, NULL, NULL, 0);
    if (!command_ok (res) || 1 != PQntuples (res))
      rc = DB_STREAM_FAILED;
    else if ('t' != PQgetvalue (res, 0, 0)[0])
      rc = DB_STREAM_NOT_FOUND;
    else
      snprintf (generated, 32, "%s", PQgetvalue (res, 0, 1));
    PQclear (res);
  }
  if (DB_STREAM_OPEN == rc)
    rc = stream_declare (*stream, xml_sql, 1, params);
  if (DB_STREAM_OPEN != rc)
  {
    db_stream_free (*stream);
    *stream = NULL;
  }
  return rc;
}

PGresult *
db_stream_fetch (struct db_stream *stream)
{
  char fetch[64];
  snprintf (fetch, sizeof fetch, "FETCH FORWARD %d FROM export",
            DB_EXPORT_BATCH);
  PGresult *res = PQexec (db_pg (stream->conn), fetch);
  if (!command_ok (res))
  {
    PQclear (res);
    return NULL;
  }
  return res;
}

void
db_stream_free (struct db_stream *stream)
{
  if (NULL == stream)
    return;
  /* Closing the connection ends the read-only transaction with it. */
  db_conn_free (stream->conn);
  free (stream);
  atomic_fetch_sub (&open_streams, 1);
}
