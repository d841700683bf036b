/*
 * SQL of inspections: planning, the checklist findings, closing, and the
 * staff's lists.  The rules (who sees which inspection, which changes are
 * allowed when) live in the functions of
 * schema/0060_inspections_sanctions.sql; these statements call them (see
 * db/call.h for the outcome).
 */
#ifndef FAIRREG_DB_INSPECTIONS_H
#define FAIRREG_DB_INSPECTIONS_H

#include <stdint.h>

#include "db/call.h"

/* The active checklist items in order: an array. */
void db_checklist (struct db_conn *conn, const struct db_audit_context *audit,
                   struct db_call *out);

/* Plans the inspection BODY (the request's JSON as text); answers it. */
void db_inspection_plan (struct db_conn *conn,
                         const struct db_audit_context *audit, const char *body,
                         struct db_call *out);

/* Filters of the staff list; NULL / -1 / 0 for none. */
struct db_inspection_filter
{
  int64_t agency_id;
  const char *status;
  const char *due_before; /* YYYY-MM-DD: planned on or before */
  int follow_up_overdue;  /* -1: either, 0: not overdue, 1: overdue */
  int mine;               /* 1: only those the caller is an inspector on */
  int64_t before_id;      /* keyset: ids below this one */
  unsigned limit;
};

/* The inspections the caller may see, newest first: an array. */
void db_inspections_list (struct db_conn *conn,
                          const struct db_audit_context *audit,
                          const struct db_inspection_filter *filter,
                          struct db_call *out);

/* One inspection with its findings. */
void db_inspection_get (struct db_conn *conn,
                        const struct db_audit_context *audit, int64_t id,
                        struct db_call *out);

/* The staff's actions on inspection ID with the request body BODY; each
   answers the inspection. */
enum db_inspection_action
{
  DB_INSPECTION_UPDATE, /* {planned_on, inspectors, status} */
  DB_INSPECTION_CLOSE,  /* {outcome, done_on, follow_up_due} */
};
void db_inspection_act (struct db_conn *conn,
                        const struct db_audit_context *audit,
                        enum db_inspection_action action, int64_t id,
                        const char *body, struct db_call *out);

/* Records the finding BODY ({result, note}) for checklist item ITEM of
   inspection ID; answers the inspection. */
void db_inspection_finding (struct db_conn *conn,
                            const struct db_audit_context *audit, int64_t id,
                            const char *item, const char *body,
                            struct db_call *out);

#endif
