/*
 * Token buckets per client address in a bounded table (see ratelimit.h).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ratelimit.h"

#define BUCKETS 4096
#define STRIPES 64

struct bucket
{
  char address[48];
  double tokens;
  double updated; /* seconds, monotonic */
};

struct ratelimit
{
  double per_second;
  double burst;
  pthread_mutex_t locks[STRIPES];
  struct bucket buckets[BUCKETS];
};

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static uint32_t
address_hash (const char *address)
{
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *) address; *p; p++)
    h = (h ^ *p) * 16777619u;
  return h;
}

struct ratelimit *
ratelimit_new (unsigned per_minute)
{
  struct ratelimit *rl = calloc (1, sizeof *rl);
  if (NULL == rl)
    abort ();
  rl->per_second = per_minute / 60.0;
  rl->burst = per_minute;
  for (int i = 0; i < STRIPES; i++)
    pthread_mutex_init (&rl->locks[i], NULL);
  return rl;
}

void
ratelimit_free (struct ratelimit *rl)
{
  if (NULL == rl)
    return;
  for (int i = 0; i < STRIPES; i++)
    pthread_mutex_destroy (&rl->locks[i]);
  free (rl);
}

/* The bucket of ADDRESS, refilled to now; called with its stripe locked. */
static struct bucket *
bucket_of (struct ratelimit *rl, const char *address, uint32_t h)
{
  struct bucket *b = &rl->buckets[h % BUCKETS];
  double now = now_seconds ();
  if (0 != strncmp (b->address, address, sizeof b->address))
  {
    strncpy (b->address, address, sizeof b->address - 1);
    b->address[sizeof b->address - 1] = '\0';
    b->tokens = rl->burst;
    b->updated = now;
  }
  b->tokens += (now - b->updated) * rl->per_second;
  if (b->tokens > rl->burst)
    b->tokens = rl->burst;
  b->updated = now;
  return b;
}

bool
ratelimit_allows (struct ratelimit *rl, const char *address,
                  unsigned *retry_after)
{
  if (rl->burst <= 0)
    return true;
  uint32_t h = address_hash (address);
  pthread_mutex_t *lock = &rl->locks[h % STRIPES];
  pthread_mutex_lock (lock);
  struct bucket *b = bucket_of (rl, address, h);
  bool allowed = b->tokens >= 1.0;
  if (!allowed)
    *retry_after = (unsigned) ((1.0 - b->tokens) / rl->per_second) + 1;
  pthread_mutex_unlock (lock);
  return allowed;
}

void
ratelimit_charge (struct ratelimit *rl, const char *address)
{
  if (rl->burst <= 0)
    return;
  uint32_t h = address_hash (address);
  pthread_mutex_t *lock = &rl->locks[h % STRIPES];
  pthread_mutex_lock (lock);
  struct bucket *b = bucket_of (rl, address, h);
  if (b->tokens >= 1.0)
    b->tokens -= 1.0;
  else
    b->tokens = 0;
  pthread_mutex_unlock (lock);
}
