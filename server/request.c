/*
 * Accessors over the request context (see request.h), and the role names
 * shared by the route table, the database and the commands.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "request.h"
#include "router.h"

static const struct
{
  enum role role;
  const char *name;
} role_names[] = {
  { ROLE_ADMIN, "admin" },
  { ROLE_INSPECTOR, "inspector" },
  { ROLE_ATTACHE, "attache" },
  { ROLE_ANALYST, "analyst" },
};

const char *
role_name (enum role role)
{
  for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
    if (role_names[i].role == role)
      return role_names[i].name;
  return NULL;
}

enum role
role_parse (const char *name)
{
  for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
    if (NULL != name && 0 == strcmp (role_names[i].name, name))
      return role_names[i].role;
  return ROLE_NONE;
}

const char *
request_path_param (const struct request *req, unsigned i)
{
  return (i < req->path_param_count) ? req->path_params[i] : "";
}

const char *
request_query (const struct request *req, const char *name)
{
  return MHD_lookup_connection_value (req->connection, MHD_GET_ARGUMENT_KIND,
                                      name);
}

const char *
request_header (const struct request *req, const char *name)
{
  return MHD_lookup_connection_value (req->connection, MHD_HEADER_KIND, name);
}

bool
request_path_id (const struct request *req, unsigned i, int64_t *id)
{
  const char *text = request_path_param (req, i);
  if ('\0' == *text || strlen (text) > 18 || '0' == text[0])
    return false;
  for (const char *p = text; '\0' != *p; p++)
    if (*p < '0' || *p > '9')
      return false;
  *id = strtoll (text, NULL, 10);
  return *id > 0;
}

struct db_conn *
request_db (struct request *req)
{
  if (NULL == req->route || DB_NONE == req->route->db)
    return NULL;
  return db_thread_conn ((DB_PUBLIC == req->route->db) ? DB_KIND_PUBLIC
                                                       : DB_KIND_APP);
}

struct db_conn *
request_db_elevated (struct request *req, unsigned roles, bool *elevated)
{
  *elevated = req->who.authenticated && 0 != (req->who.role & roles);
  if (*elevated)
    return db_thread_conn (DB_KIND_APP);
  return request_db (req);
}

struct db_audit_context
request_audit (const struct request *req)
{
  struct db_audit_context audit
      = { &req->who, "http", req->id, req->client_addr };
  return audit;
}
