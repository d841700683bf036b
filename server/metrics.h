/*
 * Prometheus metrics: requests by route and status, a latency histogram by
 * route, and the state of the database connections.  Counters are atomics in
 * fixed arrays sized from the route table, so counting costs no lock and no
 * allocation.  Labels are route patterns and status codes only: never a path,
 * a parameter or anything a user typed.
 */
#ifndef FAIRREG_METRICS_H
#define FAIRREG_METRICS_H

#include <stddef.h>

struct request;

/* Allocates the counters for the route table; call once before serving. */
void metrics_init (void);

/* Counts a finished request (its route may be NULL: unmatched paths). */
void metrics_observe (const struct request *req, double duration_ms);

/* The exposition text, malloc'ed (caller frees); NULL on out of memory. */
char *metrics_render (size_t *len);

#endif
