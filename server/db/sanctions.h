/*
 * Public sanctions (view pub_sanction: only those marked public, with
 * in_force computed by the schema): the one JSON shape of a sanction, for the
 * public list and for an agency's page.
 */
#ifndef FAIRREG_DB_SANCTIONS_H
#define FAIRREG_DB_SANCTIONS_H

#include <jansson.h>

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

#endif
