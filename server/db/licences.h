/*
 * Licences as the public sees them (view pub_licence, with their history
 * from pub_licence_history): the one JSON shape of a licence of DESIGN.md
 * section 5, built in SQL so that every answer that carries licences (the
 * lookup, an agency, the JSON export) carries exactly the same object.
 */
#ifndef FAIRREG_DB_LICENCES_H
#define FAIRREG_DB_LICENCES_H

#include <jansson.h>
#include <stdint.h>

#include "db/call.h"
#include "db/db.h"

/* The public label of a history row's source: a change made by a user is a
   "decision" (of the authority), never the user's identity. */
#define DB_HISTORY_SOURCE_SQL(h)                                               \
  "CASE " h ".source WHEN 'user' THEN 'decision' ELSE " h ".source END"

/* The licence object, as a SQL json expression over pub_licence AS l:
   {id, number, authority {code, country, name}, category, status,
   listed_status, valid_from, valid_until, in_good_standing, agency {id,
   name}, history [{status, effective_on, reason, source}] oldest first}. */
#define DB_LICENCE_JSON_SQL                                                    \
  "json_build_object("                                                         \
  "'id', l.id, 'number', l.number,"                                            \
  " 'authority', json_build_object('code', l.authority_code,"                  \
  "   'country', l.authority_country, 'name', l.authority_name),"              \
  " 'category', l.category, 'status', l.status,"                               \
  " 'listed_status', l.listed_status, 'valid_from', l.valid_from,"             \
  " 'valid_until', l.valid_until, 'in_good_standing', l.in_good_standing,"     \
  " 'agency', json_build_object('id', l.agency_id, 'name', l.agency_name),"    \
  " 'history', coalesce((SELECT json_agg(json_build_object("                   \
  "     'status', h.status, 'effective_on', h.effective_on,"                   \
  "     'reason', h.reason, 'source', " DB_HISTORY_SOURCE_SQL (                \
      "h") ")"                                                                 \
           "     ORDER BY h.effective_on, h.id)"                               \
           "   FROM pub_licence_history AS h WHERE h.licence_id = l.id), "     \
           "'[]'))"

/* Every licence whose normalised number (fr_normalise_number) equals that of
   NUMBER, as an array of licence objects ordered by authority and id; NULL if
   the database failed.  In the same statement, so from the same snapshot,
   the register version and day (cache.h's struct cache_version) into
   *VERSION and *DAY: the label of what was read, in one round trip. */
json_t *db_licences_by_number (struct db_conn *conn, const char *number,
                               int64_t *version, int32_t *day);

/* The licence ID as a licence object into *LICENCE (new reference). */
enum db_lookup db_licence_get (struct db_conn *conn, int64_t id,
                               json_t **licence);

/* Staff: sets the listed status of licence ID from BODY ({status, reason,
   effective_on}) and appends its history row (source user), through
   fr_licence_set_status (schema/0060_inspections_sanctions.sql); answers
   {licence (as staff read it), changed}.  See db/call.h for the outcome. */
void db_licence_set_status (struct db_conn *conn,
                            const struct db_audit_context *audit, int64_t id,
                            const char *body, struct db_call *out);

/* What one run of fr_record_date_transitions did. */
struct db_date_transitions
{
  long recorded;              /* history rows appended */
  long skipped;               /* licences a writer held, left for next time */
  double seconds_to_next_day; /* until the database's day changes */
};

/* Records in the history the status changes that dates made (schema/
   0090_date_transitions.sql), in one transaction with AUDIT's actor,
   allowed ten minutes: it reads every licence.  Returns 1 with *OUT set, or
   a negative db_qs (the failure logged). */
int db_licences_record_date_transitions (struct db_conn *conn,
                                         const struct db_audit_context *audit,
                                         struct db_date_transitions *out);

#endif
