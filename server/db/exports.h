/*
 * The streamed exports of the public register (GET /v1/export/...): each is a
 * cursor that the HTTP layer reads a batch at a time while the client takes
 * the bytes, so memory stays flat however large the register.
 *
 * A stream owns a connection of its own, for as long as the client reads.
 * It cannot borrow its thread's connection: libmicrohttpd serves the
 * thread's other clients between two batches, and their queries would run
 * inside the export's transaction (or fail in it).  The stream's transaction
 * is REPEATABLE READ READ ONLY, so the whole file is one consistent snapshot
 * of the register.  At most DB_EXPORT_MAX_STREAMS run at once, which bounds
 * the database connections exports can hold.
 */
#ifndef FAIRREG_DB_EXPORTS_H
#define FAIRREG_DB_EXPORTS_H

#include "db/db.h"

#define DB_EXPORT_MAX_STREAMS 8

/* Rows fetched at a time. */
#define DB_EXPORT_BATCH 1000

struct db_stream;

enum db_stream_open
{
  DB_STREAM_OPEN,
  DB_STREAM_BUSY,      /* DB_EXPORT_MAX_STREAMS are running: retry later */
  DB_STREAM_NOT_FOUND, /* the thing to export does not exist */
  DB_STREAM_FAILED,    /* the database failed or is unreachable */
};

/* Every licence, by id, one row each with the columns DB_EXPORT_CSV_COLUMNS
   (dates YYYY-MM-DD, booleans true/false, NULL as SQL NULL). */
#define DB_EXPORT_CSV_COLUMNS                                                  \
  "id,authority,authority_country,number,category,status,listed_status,"       \
  "valid_from,valid_until,in_good_standing,agency_id,agency_name"
enum db_stream_open db_export_licences_table (struct db_stream **stream);

/* Every licence, by id, one row each: the licence object of licences.h as
   JSON text in column 0. */
enum db_stream_open db_export_licences_json (struct db_stream **stream);

/* The register of AUTHORITY in the canonical XML format (DESIGN.md section
   6): one row per agency that holds a licence of AUTHORITY, column 0 being
   its whole <agency> element.  GENERATED receives the snapshot's time,
   RFC 3339 UTC, for the list's generated attribute. */
enum db_stream_open db_export_licences_xml (const char *authority,
                                            struct db_stream **stream,
                                            char generated[32]);

/* The next batch of up to DB_EXPORT_BATCH rows (none at the end); NULL if
   the database failed.  The caller PQclear()s it. */
PGresult *db_stream_fetch (struct db_stream *stream);

/* Ends the transaction and closes the stream's connection.  NULL is fine. */
void db_stream_free (struct db_stream *stream);

#endif
