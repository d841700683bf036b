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

/* The JSON body of REQ as compact text for a function's jsonb parameter
   (malloc'ed; the caller frees it); NULL after replying 500 when out of
   memory. */
char *staff_body_text (struct request *req);

#endif
