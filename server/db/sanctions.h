/*
 * Public sanctions (view pub_sanction: only those marked public, with
 * in_force computed by the schema): the one JSON shape of a sanction, for the
 * public list and for an agency's page.
 */
#ifndef FAIRREG_DB_SANCTIONS_H
#define FAIRREG_DB_SANCTIONS_H

#include <jansson.h>
#include <stdint.h>

#include "db/call.h"
#include "db/db.h"

/* The sanction object, as a SQL json expression over pub_sanction AS s:
   {id, kind, agency {id, name}, licence {id, number} or null, authority,
   decided_on, effective_from, effective_until, lifted_on, lift_reason,
   in_force, reason, points, amount, currency}. */
#define DB_SANCTION_JSON_SQL                                                   \
  "json_build_object("                                                         \
  "'id', s.id, 'kind', s.kind,"                                                \
  " 'agency', json_build_object('id', s.agency_id, 'name', s.agency_name),"    \
  " 'licence', CASE WHEN s.licence_id IS NOT NULL THEN json_build_object("     \
  "   'id', s.licence_id, 'number', s.licence_number) END,"                    \
  " 'authority', s.authority_code, 'decided_on', s.decided_on,"                \
  " 'effective_from', s.effective_from, 'effective_until', s.effective_until," \
  " 'lifted_on', s.lifted_on, 'lift_reason', s.lift_reason,"                   \
  " 'in_force', s.in_force, 'reason', s.reason, 'points', s.points,"           \
  " 'amount', s.amount, 'currency', s.currency)"

/* The public sanctions, most recently decided first: all of them when ACTIVE
   is -1, those in force when 1, those not in force when 0.  An array of
   sanction objects, or NULL if the database failed. */
json_t *db_sanctions_list (struct db_conn *conn, int active);

/* Staff: the decisions themselves, through the functions of
   schema/0060_inspections_sanctions.sql (see db/call.h for the outcome).
   The demerit thresholds come from the configuration
   (FAIRREG_DEMERIT_SURVEILLANCE, FAIRREG_DEMERIT_SUSPENSION). */

/* Records the sanction BODY (the request's JSON as text); answers
   {sanction, standing, status_changes}. */
void db_sanction_create (struct db_conn *conn,
                         const struct db_audit_context *audit, const char *body,
                         struct db_call *out);

/* Lifts sanction ID with BODY ({lifted_on, lift_reason}); answers
   {sanction, standing, status_changes}. */
void db_sanction_lift (struct db_conn *conn,
                       const struct db_audit_context *audit, int64_t id,
                       const char *body, struct db_call *out);

/* Sanction ID as staff read it: {sanction, standing}. */
void db_sanction_get (struct db_conn *conn,
                      const struct db_audit_context *audit, int64_t id,
                      struct db_call *out);

/* Filters of the staff list; NULL / -1 / 0 for none. */
struct db_sanction_filter
{
  int64_t agency_id;
  const char *kind;
  int in_force;      /* -1: either, 0: not in force, 1: in force */
  int64_t before_id; /* keyset: ids below this one */
  unsigned limit;
};

/* The sanctions the caller may see, public or not, newest first: an array. */
void db_sanctions_staff_list (struct db_conn *conn,
                              const struct db_audit_context *audit,
                              const struct db_sanction_filter *filter,
                              struct db_call *out);

/* The standing of agency ID: {agency, in_good_standing, points,
   surveillance, suspension_proposed, thresholds}. */
void db_agency_standing (struct db_conn *conn,
                         const struct db_audit_context *audit, int64_t id,
                         struct db_call *out);

#endif
