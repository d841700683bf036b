/*
 * Converts result rows to jansson values by column type (see json.h).
 */
#include <stdlib.h>
#include <string.h>

#include "db/json.h"

/* Type OIDs from PostgreSQL's pg_type.dat; stable across versions. */
enum
{
  OID_BOOL = 16,
  OID_INT8 = 20,
  OID_INT2 = 21,
  OID_INT4 = 23,
  OID_JSON = 114,
  OID_FLOAT4 = 700,
  OID_FLOAT8 = 701,
  OID_NUMERIC = 1700,
  OID_JSONB = 3802,
};

static json_t *
value_json (const PGresult *res, int row, int col)
{
  if (PQgetisnull (res, row, col))
    return json_null ();
  const char *text = PQgetvalue (res, row, col);
  switch (PQftype (res, col))
  {
  case OID_BOOL:
    return json_boolean ('t' == text[0]);
  case OID_INT2:
  case OID_INT4:
  case OID_INT8:
    return json_integer (strtoll (text, NULL, 10));
  case OID_FLOAT4:
  case OID_FLOAT8:
    return json_real (strtod (text, NULL));
  case OID_NUMERIC:
    if (NULL == strpbrk (text, ".eEN"))
      return json_integer (strtoll (text, NULL, 10));
    return json_real (strtod (text, NULL));
  case OID_JSON:
  case OID_JSONB:
    return json_loads (text, JSON_DECODE_ANY, NULL);
  default:
    return json_stringn (text, (size_t) PQgetlength (res, row, col));
  }
}

json_t *
db_row_json (const PGresult *res, int row)
{
  json_t *obj = json_object ();
  if (NULL == obj)
    return NULL;
  int cols = PQnfields (res);
  for (int c = 0; c < cols; c++)
  {
    json_t *value = value_json (res, row, c);
    if (NULL == value
        || 0 != json_object_set_new (obj, PQfname (res, c), value))
    {
      json_decref (obj);
      return NULL;
    }
  }
  return obj;
}

json_t *
db_rows_json (const PGresult *res)
{
  json_t *arr = json_array ();
  if (NULL == arr)
    return NULL;
  int rows = PQntuples (res);
  for (int r = 0; r < rows; r++)
  {
    json_t *obj = db_row_json (res, r);
    if (NULL == obj || 0 != json_array_append_new (arr, obj))
    {
      json_decref (arr);
      return NULL;
    }
  }
  return arr;
}
