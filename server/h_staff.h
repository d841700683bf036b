/*
 * What the staff handlers of the casework (h_complaints.c, h_inspections.c,
 * h_sanctions.c, ...) share: their calls go to SQL functions that check the
 * input and the caller and answer JSON (db/call.h); staff_reply_call turns
 * the outcome into the reply, mapping the functions' refusals to the error
 * table: FR403 forbidden, FR404 not_found, FR409 conflict, FR422
 * invalid_field, FR001 conflict with the allowed next statuses.
 */
#ifndef FAIRREG_H_STAFF_H
#define FAIRREG_H_STAFF_H

#include "db/call.h"
#include "request.h"

/* Replies to REQ from CALL: its answer with STATUS, as {WRAP: answer} when
   WRAP is non-NULL (404 when the function answered SQL NULL); or the error
   its refusal or failure calls for.  Takes the answer out of CALL and
   releases it.  Returns 0. */
int staff_reply_call (struct request *req, struct db_call *call,
                      unsigned status, const char *wrap);

/* Query parameter NAME as one of WORDS (NULL-terminated); *VALUE is NULL
   when absent.  Replies 400 naming the words and returns false otherwise. */
bool staff_query_word (struct request *req, const char *name,
                       const char *const *words, const char **value);

/* Query parameter cursor of a staff list: the id below which the page
   starts (0 for the first page).  Replies 400 and returns false when it is
   not a next_cursor. */
bool staff_query_cursor (struct request *req, int64_t *before_id);

/* Replies to REQ from CALL, a list asked for WANTED + 1 items, newest id
   first: {"items": the first WANTED, "next_cursor": the last one's id, or
   null when there was no item more}.  Errors as staff_reply_call.
   Returns 0. */
int staff_reply_page (struct request *req, struct db_call *call,
                      unsigned wanted);

/* The JSON body of REQ as compact text for a function's jsonb parameter
   (malloc'ed; the caller frees it); NULL after replying 500 when out of
   memory. */
char *staff_body_text (struct request *req);

#endif
