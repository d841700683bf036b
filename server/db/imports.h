/*
 * Import runs (table import_run), as the admin API reads them.  The runs
 * themselves are written by the loader (importers/load.c), in the import's
 * own transaction.
 *
 * A run is answered as {id, authority, file_name, profile, sha256 (hex) or
 * null, size_bytes, scope, dry_run, skip_invalid, started_by, started_at,
 * finished_at, outcome (null while running), error, counts {seen, inserted,
 * updated, unchanged, delisted, rejected}}; one run read alone also carries
 * rejects [{line, reason}].
 */
#ifndef FAIRREG_DB_IMPORTS_H
#define FAIRREG_DB_IMPORTS_H

#include <jansson.h>
#include <stdint.h>

#include "db/db.h"

/* Runs newest first: at most LIMIT of them older than run BEFORE (0: from
   the newest).  Sets *ITEMS to the array and *NEXT to the id to continue
   from (0 when there are no more).  Returns a db_lookup (DB_FOUND even for
   an empty page). */
enum db_lookup db_imports_list (struct db_conn *conn, int64_t before,
                                unsigned limit, json_t **items, int64_t *next);

/* Run ID with its rejects, in *RUN. */
enum db_lookup db_import_get (struct db_conn *conn, int64_t id, json_t **run);

#endif
