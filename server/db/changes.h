/*
 * The public change feed: licence status changes (view pub_licence_history),
 * for the JSON feed with its cursor and for the Atom feed.
 *
 * The feed is read in (txid, id) order, txid being the transaction that wrote
 * the change, and only up to the oldest transaction still running: so a
 * follower never skips a change that commits late (see
 * schema/0030_public_api.sql).  A position in the feed is the pair (txid,
 * id) of the last change read.
 */
#ifndef FAIRREG_DB_CHANGES_H
#define FAIRREG_DB_CHANGES_H

#include <jansson.h>
#include <stdint.h>

#include "db/db.h"

/* A position in the feed; {0, 0} is its start. */
struct db_change_position
{
  uint64_t txid;
  int64_t id;
};

/* Up to LIMIT changes after position AFTER, of agency AGENCY_ID (0: all),
   oldest first, as [{id, licence {id, number, authority}, agency {id, name},
   status, effective_on, reason, at}] into *ITEMS (new reference); *NEXT is
   the position after the last of them (AFTER when there are none).  Returns
   0, or -1 if the database failed. */
int db_changes_after (struct db_conn *conn,
                      const struct db_change_position *after, int64_t agency_id,
                      unsigned limit, json_t **items,
                      struct db_change_position *next);

/* The LIMIT most recent changes of agency AGENCY_ID (0: all), newest first,
   in the same shape; NULL if the database failed. */
json_t *db_changes_recent (struct db_conn *conn, int64_t agency_id,
                           unsigned limit);

#endif
