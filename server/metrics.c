/*
 * Lock-free request counters rendered in the Prometheus text format.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "db/db.h"
#include "metrics.h"
#include "request.h"
#include "router.h"

/* Statuses the server sends; anything else is counted under "other". */
static const unsigned known_statuses[] = {
  200, 201, 204, 304, 400, 401, 403, 404,
  405, 409, 413, 415, 422, 429, 500, 503,
};
#define STATUS_SLOTS (sizeof known_statuses / sizeof known_statuses[0] + 1)

/* Latency bucket bounds in milliseconds (the +Inf bucket is implicit). */
static const double latency_bounds_ms[] = {
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
};
#define LATENCY_BUCKETS (sizeof latency_bounds_ms / sizeof latency_bounds_ms[0])

struct route_counters
{
  atomic_uint_fast64_t by_status[STATUS_SLOTS];
  atomic_uint_fast64_t latency[LATENCY_BUCKETS + 1];
  atomic_uint_fast64_t latency_sum_us;
};

/* One slot per route, plus a last one for requests that matched no route. */
static struct route_counters *counters;

void
metrics_init (void)
{
  counters = calloc (router_route_count + 1, sizeof *counters);
  if (NULL == counters)
    abort ();
}

static size_t
status_slot (unsigned status)
{
  for (size_t i = 0; i < STATUS_SLOTS - 1; i++)
    if (known_statuses[i] == status)
      return i;
  return STATUS_SLOTS - 1;
}

void
metrics_observe (const struct request *req, double duration_ms)
{
  if (NULL == counters)
    return;
  size_t slot
      = (NULL != req->route) ? router_index (req->route) : router_route_count;
  struct route_counters *c = &counters[slot];
  atomic_fetch_add_explicit (&c->by_status[status_slot (req->status)], 1,
                             memory_order_relaxed);
  size_t bucket = 0;
  while (bucket < LATENCY_BUCKETS && duration_ms > latency_bounds_ms[bucket])
    bucket++;
  atomic_fetch_add_explicit (&c->latency[bucket], 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&c->latency_sum_us,
                             (uint_fast64_t) (duration_ms * 1000.0),
                             memory_order_relaxed);
}

static const char *
slot_route (size_t slot)
{
  return (slot < router_route_count) ? router_routes[slot].pattern
                                     : "(unmatched)";
}

static const char *
slot_method (size_t slot)
{
  return (slot < router_route_count) ? router_routes[slot].method : "";
}

char *
metrics_render (size_t *len)
{
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream (&text, &size);
  if (NULL == out)
    return NULL;

  fputs ("# HELP fairreg_http_requests_total HTTP requests answered, by route "
         "and status.\n# TYPE fairreg_http_requests_total counter\n",
         out);
  for (size_t r = 0; r <= router_route_count; r++)
    for (size_t s = 0; s < STATUS_SLOTS; s++)
    {
      uint_fast64_t n = atomic_load_explicit (&counters[r].by_status[s],
                                              memory_order_relaxed);
      if (0 == n)
        continue;
      char status[8];
      if (s < STATUS_SLOTS - 1)
        snprintf (status, sizeof status, "%u", known_statuses[s]);
      else
        strcpy (status, "other");
      fprintf (out,
               "fairreg_http_requests_total{method=\"%s\",route=\"%s\","
               "status=\"%s\"} %llu\n",
               slot_method (r), slot_route (r), status, (unsigned long long) n);
    }

  fputs ("# HELP fairreg_http_request_duration_seconds Time from the request's "
         "headers to its reply, by route.\n"
         "# TYPE fairreg_http_request_duration_seconds histogram\n",
         out);
  for (size_t r = 0; r <= router_route_count; r++)
  {
    uint_fast64_t cumulative = 0;
    for (size_t b = 0; b <= LATENCY_BUCKETS; b++)
      cumulative += atomic_load_explicit (&counters[r].latency[b],
                                          memory_order_relaxed);
    if (0 == cumulative)
      continue;
    uint_fast64_t total = cumulative;
    cumulative = 0;
    for (size_t b = 0; b <= LATENCY_BUCKETS; b++)
    {
      cumulative += atomic_load_explicit (&counters[r].latency[b],
                                          memory_order_relaxed);
      char le[16];
      if (b < LATENCY_BUCKETS)
        snprintf (le, sizeof le, "%g", latency_bounds_ms[b] / 1000.0);
      else
        strcpy (le, "+Inf");
      fprintf (out,
               "fairreg_http_request_duration_seconds_bucket{method=\"%s\","
               "route=\"%s\",le=\"%s\"} %llu\n",
               slot_method (r), slot_route (r), le,
               (unsigned long long) cumulative);
    }
    fprintf (out,
             "fairreg_http_request_duration_seconds_sum{method=\"%s\","
             "route=\"%s\"} %.6f\n"
             "fairreg_http_request_duration_seconds_count{method=\"%s\","
             "route=\"%s\"} %llu\n",
             slot_method (r), slot_route (r),
             (double) atomic_load_explicit (&counters[r].latency_sum_us,
                                            memory_order_relaxed)
                 / 1e6,
             slot_method (r), slot_route (r), (unsigned long long) total);
  }

  unsigned public_up, app_up;
  db_connection_counts (&public_up, &app_up);
  fprintf (out,
           "# HELP fairreg_db_connections_up Open database connections, by "
           "role.\n# TYPE fairreg_db_connections_up gauge\n"
           "fairreg_db_connections_up{role=\"public\"} %u\n"
           "fairreg_db_connections_up{role=\"app\"} %u\n",
           public_up, app_up);

  /* The never-stale cache of public answers (cache.c). */
  struct cache_stats cache;
  cache_stats (&cache);
  fprintf (out,
           "# HELP fairreg_cache_lookups_total Public answers looked up in "
           "memory, by result (miss: not held; outdated: held, but older than "
           "the register).\n"
           "# TYPE fairreg_cache_lookups_total counter\n"
           "fairreg_cache_lookups_total{result=\"hit\"} %llu\n"
           "fairreg_cache_lookups_total{result=\"miss\"} %llu\n"
           "fairreg_cache_lookups_total{result=\"outdated\"} %llu\n"
           "# HELP fairreg_cache_bytes Memory held by cached answers.\n"
           "# TYPE fairreg_cache_bytes gauge\n"
           "fairreg_cache_bytes %zu\n"
           "# HELP fairreg_cache_entries Answers held in memory.\n"
           "# TYPE fairreg_cache_entries gauge\n"
           "fairreg_cache_entries %zu\n",
           (unsigned long long) cache.hits,
           (unsigned long long) (cache.misses - cache.outdated),
           (unsigned long long) cache.outdated, cache.bytes, cache.entries);
  if (0 != fclose (out))
  {
    free (text);
    return NULL;
  }
  *len = size;
  return text;
}
