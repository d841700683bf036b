/*
 * PostgreSQL rows as JSON objects: each column becomes a member named after
 * it, typed by its column type (int2/4/8 and numeric integers as integers,
 * float and numeric as reals, bool as true/false, json and jsonb parsed, NULL
 * as null, everything else as a string).  Queries therefore shape their
 * answers in SQL (column names, date formats) and handlers stay short.
 */
#ifndef FAIRREG_DB_JSON_H
#define FAIRREG_DB_JSON_H

#include <jansson.h>
#include <libpq-fe.h>

/* Row ROW of RES as a new object; NULL on out of memory. */
json_t *db_row_json (const PGresult *res, int row);

/* All rows of RES as a new array of objects; NULL on out of memory. */
json_t *db_rows_json (const PGresult *res);

#endif
