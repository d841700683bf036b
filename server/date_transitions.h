/*
 * The status changes that dates make (a licence expiring, a sanction
 * starting or running out), recorded in the licence's history by a thread
 * of the server: see schema/0090_date_transitions.sql for what is recorded.
 */
#ifndef FAIRREG_DATE_TRANSITIONS_H
#define FAIRREG_DATE_TRANSITIONS_H

/* Starts the recorder thread: it records at once, then within seconds of
   each midnight (and a minute after a run that had to skip licences a
   writer held), on its own fairreg_app connection to the primary.
   Returns 0, or -1 if the thread cannot start. */
int date_transitions_start (void);

/* Stops the thread (waiting for a run in progress) and closes its
   connection. */
void date_transitions_stop (void);

#endif
