/*
 * Per-client-address rate limits (token buckets).  A fixed table of buckets,
 * hashed by address and guarded by striped locks, so memory stays bounded
 * whatever the number of clients: an address whose bucket is taken over by
 * another simply starts full again, which errs on the side of serving.
 */
#ifndef FAIRREG_RATELIMIT_H
#define FAIRREG_RATELIMIT_H

#include <stdbool.h>

struct ratelimit;

/* A limiter allowing PER_MINUTE events per address, in bursts of up to
   PER_MINUTE.  PER_MINUTE 0 disables it (every event allowed).  Never NULL. */
struct ratelimit *ratelimit_new (unsigned per_minute);
void ratelimit_free (struct ratelimit *rl);

/* Would one more event from ADDRESS be allowed now?  If not, sets
   *RETRY_AFTER to the seconds until it would be. */
bool ratelimit_allows (struct ratelimit *rl, const char *address,
                       unsigned *retry_after);

/* Counts one event from ADDRESS. */
void ratelimit_charge (struct ratelimit *rl, const char *address);

#endif
