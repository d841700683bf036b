/*
 * The never-stale response cache (see cache.h for the interface).
 *
 * Why an answer served from memory is never stale
 * -----------------------------------------------
 * 1. register_version (schema/0025_register_version.sql) is a row that every
 *    transaction writing the register increments before it commits, in the
 *    same transaction: a snapshot sees the new version exactly when it sees
 *    the new data.
 * 2. A client's COMMIT returns before it sends its next request, so that
 *    request arrives after the commit; before it trusts anything held in
 *    memory, it reads the version in a snapshot taken after it arrived, so
 *    it sees the new version.  The read may be shared with other requests
 *    (cache_version_join): a request joins only a read sent after it
 *    joined, never one already in flight, so its snapshot is still taken
 *    after the request arrived.
 * 3. Every entry, and the search index, is labelled with the version read
 *    BEFORE (or, for the index, in the same snapshot as) the data it was made
 *    from, so its data is at least as new as its label; it is used only if
 *    its label is at least the version the request read.  An entry made
 *    before the commit carries an older label, so it is not served.
 * 4. Effective statuses change at midnight without any write: the version
 *    read carries the database's current_date, stored with the entry; an
 *    entry of another day is not served.
 * 5. With public reads on a standby (FAIRREG_READ_DATABASE_URL), what is
 *    stored is labelled with a version read on the request's own public
 *    connection just before its data, from the very standby whose data it
 *    stores (the version arrives with the replayed data, never before it);
 *    the shared read goes to the read database too, so a hit is as fresh
 *    as that database.
 *
 * No step depends on timing or on the listener below.  The listener
 * (LISTEN fairreg_register) is an accelerator: each notification evicts the
 * store early (to free memory; an older entry would not be served anyway)
 * and wakes the search index's rebuilder (search_index.c).  If it is down,
 * nothing is served stale: entries are refused by their labels and the
 * rebuilder polls.
 *
 * The store: CACHE_SHARDS shards, each a mutex, a chained hash table and an
 * LRU list, with an equal share of the byte budget.  An entry is one
 * allocation (header, key, body) with a reference count: the shard holds one
 * reference while the entry is linked, every hit takes one more, handed to
 * libmicrohttpd as the free callback's argument of a response made over the
 * stored body, so a hit copies nothing.  A shard drops all its entries the
 * first time it is used after a change was heard.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <microhttpd.h>

#include "cache.h"
#include "config.h"
#include "h_public.h"
#include "db/db.h"
#include "log.h"
#include "reply.h"
#include "request.h"
#include "router.h"

#define CACHE_SHARDS 16
#define CHANNEL "fairreg_register"
#define RECONNECT_MIN_MS 50
#define RECONNECT_MAX_MS 2000

/* Same as the public handlers' (h_public.c): stored, revalidated each use. */
#define PUBLIC_CACHE_CONTROL "public, max-age=0, must-revalidate"

/* ---- the version ---- */

/* One statement, so the version and the date come from one snapshot.  The
   date as days since 2000-01-01 (an integer to compare). */
DB_STATEMENT (cache_register_version,
              "SELECT version, current_date - DATE '2000-01-01'"
              " FROM pub_register_version");

bool
cache_version_read (struct db_conn *conn, struct cache_version *v)
{
  if (NULL == conn)
    return false;
  int qs;
  PGresult *res = db_run (conn, &cache_register_version, 0, NULL, &qs);
  bool ok = NULL != res && 1 == qs;
  if (ok)
  {
    v->version = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    v->day = (int32_t) strtol (PQgetvalue (res, 0, 1), NULL, 10);
  }
  PQclear (res);
  return ok;
}

bool
cache_version_covers (const struct cache_version *made,
                      const struct cache_version *now)
{
  return made->day == now->day && made->version >= now->version;
}

/* ---- the shared read ----
 *
 * Waiters are on one list with the round (the read) that answers them: the
 * next one sent after they joined.  A reader thread sends a round when
 * anyone joined since the last was sent, on its own public connection
 * (db_thread_conn), and answers the waiters of that round and before;
 * those that joined meanwhile stay for the next.  A round costs one round
 * trip whatever the number of waiters, so under load each read answers many
 * requests.  READERS threads let the next round go out while one is in
 * flight, so that a request waits about one round trip, not one and a
 * half, and a reader descheduled on a busy machine does not hold up all.
 */

#define READERS 2

static struct
{
  pthread_mutex_t lock;
  pthread_cond_t wake;
  struct cache_version_wait *waiters; /* joined, not answered yet */
  uint64_t sent;                      /* rounds sent so far */
  size_t unsent; /* waiters joined since the last round was sent */
  bool open;     /* a reader (or a test) answers joins */
  bool stopping;
} gate = {
  PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, false, false
};

static _Atomic uint64_t stat_rounds;
static _Atomic uint64_t stat_joins;

void
cache_version_join (struct cache_version_wait *w)
{
  pthread_mutex_lock (&gate.lock);
  if (!gate.open)
  {
    pthread_mutex_unlock (&gate.lock);
    w->state = CACHE_VERSION_FAILED;
    w->ready (w->cls);
    return;
  }
  w->state = CACHE_VERSION_PENDING;
  w->round = gate.sent + 1;
  w->next = gate.waiters;
  gate.waiters = w;
  gate.unsent++;
  pthread_cond_signal (&gate.wake);
  pthread_mutex_unlock (&gate.lock);
  atomic_fetch_add_explicit (&stat_joins, 1, memory_order_relaxed);
}

/* Answers the waiters of ROUND and of the rounds before it. */
static void
round_end (uint64_t round, bool ok, const struct cache_version *v)
{
  struct cache_version_wait *done = NULL;
  pthread_mutex_lock (&gate.lock);
  for (struct cache_version_wait **p = &gate.waiters; NULL != *p;)
  {
    struct cache_version_wait *w = *p;
    if (w->round > round)
    {
      p = &w->next;
      continue;
    }
    *p = w->next;
    w->next = done;
    done = w;
  }
  pthread_mutex_unlock (&gate.lock);
  while (NULL != done)
  {
    struct cache_version_wait *w = done;
    void (*ready) (void *) = w->ready;
    void *cls = w->cls;
    done = w->next;
    if (ok)
      w->version = *v;
    w->state = ok ? CACHE_VERSION_READ : CACHE_VERSION_FAILED;
    ready (cls); /* W may be gone after this */
  }
}

static pthread_t reader_threads[READERS];
static unsigned readers_running;

static void *
reader_main (void *cls)
{
  (void) cls;
  pthread_mutex_lock (&gate.lock);
  for (;;)
  {
    while (!gate.stopping && 0 == gate.unsent)
      pthread_cond_wait (&gate.wake, &gate.lock);
    if (0 == gate.unsent)
      break; /* stopping; the rounds in flight answer the rest */
    uint64_t round = ++gate.sent;
    gate.unsent = 0;
    pthread_mutex_unlock (&gate.lock);
    struct cache_version v;
    bool ok = cache_version_read (db_thread_conn (DB_KIND_PUBLIC), &v);
    atomic_fetch_add_explicit (&stat_rounds, 1, memory_order_relaxed);
    round_end (round, ok, &v);
    pthread_mutex_lock (&gate.lock);
  }
  pthread_mutex_unlock (&gate.lock);
  db_thread_release ();
  return NULL;
}

static void
gate_open (void)
{
  pthread_mutex_lock (&gate.lock);
  gate.open = true;
  gate.stopping = false;
  pthread_mutex_unlock (&gate.lock);
}

/* Refuses new joins; the reader answers those waiting, then ends. */
static void
gate_close (void)
{
  pthread_mutex_lock (&gate.lock);
  gate.open = false;
  gate.stopping = true;
  pthread_cond_broadcast (&gate.wake);
  pthread_mutex_unlock (&gate.lock);
  for (unsigned i = 0; i < readers_running; i++)
    pthread_join (reader_threads[i], NULL);
  readers_running = 0;
  round_end (UINT64_MAX, false, NULL); /* none left but in tests */
}

bool
cache_testing_round_begin (void)
{
  pthread_mutex_lock (&gate.lock);
  bool any = 0 != gate.unsent;
  if (any)
  {
    gate.sent++;
    gate.unsent = 0;
  }
  pthread_mutex_unlock (&gate.lock);
  return any;
}

void
cache_testing_round_end (bool ok, const struct cache_version *v)
{
  pthread_mutex_lock (&gate.lock);
  uint64_t round = gate.sent;
  pthread_mutex_unlock (&gate.lock);
  round_end (round, ok, v);
}

/* ---- what the listener heard ---- */

/* Moved by every change heard; shards drop their entries when it moved. */
static _Atomic uint64_t changes_heard;
static atomic_bool listening;

static pthread_mutex_t heard_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t heard_cond = PTHREAD_COND_INITIALIZER;
static bool poked;

static void
changes_move (void)
{
  pthread_mutex_lock (&heard_lock);
  atomic_fetch_add (&changes_heard, 1);
  pthread_cond_broadcast (&heard_cond);
  pthread_mutex_unlock (&heard_lock);
}

uint64_t
cache_changes_heard (void)
{
  return atomic_load (&changes_heard);
}

void
cache_changes_wait (uint64_t seen, unsigned timeout_ms)
{
  struct timespec until;
  clock_gettime (CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L)
  {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock (&heard_lock);
  while (atomic_load (&changes_heard) == seen && !poked)
    if (0 != pthread_cond_timedwait (&heard_cond, &heard_lock, &until))
      break;
  poked = false;
  pthread_mutex_unlock (&heard_lock);
}

void
cache_poke (void)
{
  pthread_mutex_lock (&heard_lock);
  poked = true;
  pthread_cond_broadcast (&heard_cond);
  pthread_mutex_unlock (&heard_lock);
}

void
cache_invalidate (void)
{
  changes_move ();
}

/* ---- the store ---- */

struct cache_entry
{
  struct cache_entry *hash_next;
  struct cache_entry *lru_prev; /* towards the most recently used */
  struct cache_entry *lru_next;
  atomic_uint refs;
  uint64_t hash;
  struct cache_version made; /* read before its data was */
  unsigned route;
  size_t key_len;
  size_t body_len;
  size_t size; /* what it counts against the budget */
  char etag[PUBLIC_ETAG_SIZE];
  char data[]; /* key, then body */
};

struct shard
{
  pthread_mutex_t lock;
  struct cache_entry **buckets;
  size_t bucket_count; /* a power of two */
  size_t entries;
  size_t bytes;
  size_t budget;
  struct cache_entry *lru_head; /* most recently used */
  struct cache_entry *lru_tail;
  uint64_t seen; /* changes heard when it was last used */
};

static struct shard shards[CACHE_SHARDS];
static size_t store_budget; /* 0: no store */
static atomic_bool store_ready;

static _Atomic uint64_t stat_hits;
static _Atomic uint64_t stat_misses;
static _Atomic uint64_t stat_stores;
static _Atomic uint64_t stat_evictions;
static _Atomic uint64_t stat_outdated;
static _Atomic uint64_t stat_notifications;

/* FNV-1a over the route and the key, then mixed (MurmurHash3's 64-bit
   finaliser) so that every bit depends on every byte: FNV alone leaves the
   high bits, which pick the shard, nearly blind to the last bytes, and keys
   that differ only there (numbers, queries typed one letter further) would
   crowd into one shard. */
static uint64_t
key_hash (unsigned route, const char *key, size_t len)
{
  uint64_t h = 1469598103934665603ULL ^ route;
  for (size_t i = 0; i < len; i++)
  {
    h ^= (unsigned char) key[i];
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/* The shard of HASH, from its high half: its low bits pick the bucket
   within the shard, and taking the shard from them too would leave all but
   one in CACHE_SHARDS of every shard's buckets empty. */
static struct shard *
shard_of (uint64_t hash)
{
  return &shards[(hash >> 32) % CACHE_SHARDS];
}

static void
entry_unref (struct cache_entry *entry)
{
  if (1 == atomic_fetch_sub (&entry->refs, 1))
    free (entry);
}

void
cache_entry_release (const struct cache_entry *entry)
{
  if (NULL != entry)
    entry_unref ((struct cache_entry *) entry);
}

const char *
cache_entry_body (const struct cache_entry *entry, size_t *len)
{
  *len = entry->body_len;
  return entry->data + entry->key_len;
}

const char *
cache_entry_etag (const struct cache_entry *entry)
{
  return entry->etag;
}

static void
lru_unlink (struct shard *sh, struct cache_entry *entry)
{
  if (NULL != entry->lru_prev)
    entry->lru_prev->lru_next = entry->lru_next;
  else
    sh->lru_head = entry->lru_next;
  if (NULL != entry->lru_next)
    entry->lru_next->lru_prev = entry->lru_prev;
  else
    sh->lru_tail = entry->lru_prev;
  entry->lru_prev = entry->lru_next = NULL;
}

static void
lru_push_front (struct shard *sh, struct cache_entry *entry)
{
  entry->lru_prev = NULL;
  entry->lru_next = sh->lru_head;
  if (NULL != sh->lru_head)
    sh->lru_head->lru_prev = entry;
  sh->lru_head = entry;
  if (NULL == sh->lru_tail)
    sh->lru_tail = entry;
}

/* Unlinks ENTRY from its shard and drops the shard's reference. */
static void
shard_remove (struct shard *sh, struct cache_entry *entry)
{
  struct cache_entry **p = &sh->buckets[entry->hash & (sh->bucket_count - 1)];
  while (*p != entry)
    p = &(*p)->hash_next;
  *p = entry->hash_next;
  lru_unlink (sh, entry);
  sh->entries--;
  sh->bytes -= entry->size;
  entry_unref (entry);
}

static void
shard_clear (struct shard *sh)
{
  while (NULL != sh->lru_tail)
    shard_remove (sh, sh->lru_tail);
}

/* Drops every entry if a change was heard since the shard was last used:
   memory is freed early; correctness rests on the labels alone.  Called
   with the shard locked. */
static void
shard_catch_up (struct shard *sh)
{
  uint64_t heard = atomic_load (&changes_heard);
  if (sh->seen == heard)
    return;
  shard_clear (sh);
  sh->seen = heard;
}

static struct cache_entry *
shard_find (struct shard *sh, uint64_t hash, unsigned route, const char *key,
            size_t key_len)
{
  for (struct cache_entry *e = sh->buckets[hash & (sh->bucket_count - 1)];
       NULL != e; e = e->hash_next)
    if (e->hash == hash && e->route == route && e->key_len == key_len
        && 0 == memcmp (e->data, key, key_len))
      return e;
  return NULL;
}

static void
shard_grow (struct shard *sh)
{
  size_t count = sh->bucket_count * 2;
  struct cache_entry **buckets = calloc (count, sizeof *buckets);
  if (NULL == buckets)
    return; /* longer chains, still correct */
  for (size_t i = 0; i < sh->bucket_count; i++)
    for (struct cache_entry *e = sh->buckets[i], *next; NULL != e; e = next)
    {
      next = e->hash_next;
      e->hash_next = buckets[e->hash & (count - 1)];
      buckets[e->hash & (count - 1)] = e;
    }
  free (sh->buckets);
  sh->buckets = buckets;
  sh->bucket_count = count;
}

const struct cache_entry *
cache_get (unsigned route, const char *key, size_t key_len,
           const struct cache_version *now)
{
  if (!atomic_load (&store_ready))
    return NULL;
  uint64_t hash = key_hash (route, key, key_len);
  struct shard *sh = shard_of (hash);
  pthread_mutex_lock (&sh->lock);
  shard_catch_up (sh);
  struct cache_entry *entry = shard_find (sh, hash, route, key, key_len);
  if (NULL != entry && !cache_version_covers (&entry->made, now))
  {
    atomic_fetch_add_explicit (&stat_outdated, 1, memory_order_relaxed);
    entry = NULL; /* the caller reads the database and replaces it */
  }
  if (NULL != entry)
  {
    atomic_fetch_add (&entry->refs, 1);
    if (sh->lru_head != entry)
    {
      lru_unlink (sh, entry);
      lru_push_front (sh, entry);
    }
  }
  pthread_mutex_unlock (&sh->lock);
  atomic_fetch_add_explicit (NULL != entry ? &stat_hits : &stat_misses, 1,
                             memory_order_relaxed);
  return entry;
}

/* Is A newer than B (a later day, or the same day and a later version)? */
static bool
version_newer (const struct cache_version *a, const struct cache_version *b)
{
  return a->day > b->day || (a->day == b->day && a->version > b->version);
}

const struct cache_entry *
cache_put (unsigned route, const char *key, size_t key_len,
           const struct cache_version *made, const char *body, size_t body_len,
           const char *etag)
{
  if (!atomic_load (&store_ready) || NULL == made)
    return NULL;
  size_t size = sizeof (struct cache_entry) + key_len + body_len;
  uint64_t hash = key_hash (route, key, key_len);
  struct shard *sh = shard_of (hash);
  if (size > sh->budget / 8)
    return NULL;
  struct cache_entry *entry = malloc (size);
  if (NULL == entry)
    return NULL;
  memset (entry, 0, sizeof *entry);
  atomic_init (&entry->refs, 2); /* the shard's and the caller's */
  entry->hash = hash;
  entry->made = *made;
  entry->route = route;
  entry->key_len = key_len;
  entry->body_len = body_len;
  entry->size = size;
  snprintf (entry->etag, sizeof entry->etag, "%s", etag);
  memcpy (entry->data, key, key_len);
  memcpy (entry->data + key_len, body, body_len);

  pthread_mutex_lock (&sh->lock);
  shard_catch_up (sh);
  struct cache_entry *old = shard_find (sh, hash, route, key, key_len);
  if (NULL != old && version_newer (&old->made, made))
  {
    /* a request that read a newer version stored first: keep that one */
    pthread_mutex_unlock (&sh->lock);
    free (entry);
    return NULL;
  }
  if (NULL != old)
    shard_remove (sh, old);
  while (sh->bytes + size > sh->budget && NULL != sh->lru_tail)
  {
    shard_remove (sh, sh->lru_tail);
    atomic_fetch_add_explicit (&stat_evictions, 1, memory_order_relaxed);
  }
  if (sh->entries + 1 > sh->bucket_count)
    shard_grow (sh);
  struct cache_entry **bucket = &sh->buckets[hash & (sh->bucket_count - 1)];
  entry->hash_next = *bucket;
  *bucket = entry;
  lru_push_front (sh, entry);
  sh->entries++;
  sh->bytes += size;
  pthread_mutex_unlock (&sh->lock);
  atomic_fetch_add_explicit (&stat_stores, 1, memory_order_relaxed);
  return entry;
}

static int
store_init (size_t bytes)
{
  store_budget = bytes;
  if (0 == bytes)
    return 0;
  for (int i = 0; i < CACHE_SHARDS; i++)
  {
    struct shard *sh = &shards[i];
    pthread_mutex_init (&sh->lock, NULL);
    sh->bucket_count = 256;
    sh->buckets = calloc (sh->bucket_count, sizeof *sh->buckets);
    if (NULL == sh->buckets)
      return -1;
    sh->budget = bytes / CACHE_SHARDS;
  }
  atomic_store (&store_ready, true);
  return 0;
}

static void
store_free (void)
{
  if (!atomic_load (&store_ready))
    return;
  atomic_store (&store_ready, false);
  for (int i = 0; i < CACHE_SHARDS; i++)
  {
    struct shard *sh = &shards[i];
    pthread_mutex_lock (&sh->lock);
    shard_clear (sh);
    free (sh->buckets);
    sh->buckets = NULL;
    pthread_mutex_unlock (&sh->lock);
    pthread_mutex_destroy (&sh->lock);
    memset (sh, 0, sizeof *sh);
  }
}

void
cache_stats (struct cache_stats *st)
{
  memset (st, 0, sizeof *st);
  st->hits = atomic_load (&stat_hits);
  st->misses = atomic_load (&stat_misses);
  st->stores = atomic_load (&stat_stores);
  st->evictions = atomic_load (&stat_evictions);
  st->outdated = atomic_load (&stat_outdated);
  st->notifications = atomic_load (&stat_notifications);
  st->listening = atomic_load (&listening);
  if (!atomic_load (&store_ready))
    return;
  for (int i = 0; i < CACHE_SHARDS; i++)
  {
    pthread_mutex_lock (&shards[i].lock);
    st->bytes += shards[i].bytes;
    st->entries += shards[i].entries;
    pthread_mutex_unlock (&shards[i].lock);
  }
}

/* ---- the listener (an accelerator: see the opening comment) ---- */

static pthread_t listener_thread;
static bool listener_running;
static int stop_pipe[2] = { -1, -1 };

/* Sleeps MS milliseconds unless cache_stop() is called; true if stopping. */
static bool
sleep_or_stop (unsigned ms)
{
  struct pollfd p = { stop_pipe[0], POLLIN, 0 };
  return poll (&p, 1, (int) ms) > 0;
}

/* Notices (a FATAL as the backend is terminated, say) are dropped, never
   printed on stderr: the connection is seen to close right after. */
static void
listener_notice (void *cls, const PGresult *res)
{
  (void) cls;
  (void) res;
}

static PGconn *
listener_connect (void)
{
  /* Keepalives notice a connection that dies without a word (a cut
     network) within seconds, so that eviction resumes soon. */
  const char *const keys[] = { "dbname",           "connect_timeout",
                               "application_name", "keepalives",
                               "keepalives_idle",  "keepalives_interval",
                               "keepalives_count", NULL };
  const char *const values[] = {
    config.database_url, "2", "fairreg-cache-listener", "1", "2", "1", "2", NULL
  };
  PGconn *pg = PQconnectdbParams (keys, values, 1);
  if (NULL == pg || CONNECTION_OK != PQstatus (pg))
  {
    PQfinish (pg);
    return NULL;
  }
  PQsetNoticeReceiver (pg, listener_notice, NULL);
  PGresult *res = PQexec (pg, "LISTEN " CHANNEL);
  bool ok = PGRES_COMMAND_OK == PQresultStatus (res);
  PQclear (res);
  if (!ok)
  {
    PQfinish (pg);
    return NULL;
  }
  return pg;
}

/* Reads notifications until the connection is lost (false) or cache_stop
   is called (true). */
static bool
listen_on (PGconn *pg)
{
  for (;;)
  {
    struct pollfd p[2]
        = { { PQsocket (pg), POLLIN, 0 }, { stop_pipe[0], POLLIN, 0 } };
    int n = poll (p, 2, -1);
    if (n < 0 && EINTR != errno)
      return false;
    if (p[1].revents)
      return true;
    if (0 == p[0].revents)
      continue;
    if (1 != PQconsumeInput (pg) || CONNECTION_OK != PQstatus (pg))
      return false;
    bool any = false;
    PGnotify *note;
    while (NULL != (note = PQnotifies (pg)))
    {
      any = true;
      atomic_fetch_add_explicit (&stat_notifications, 1, memory_order_relaxed);
      PQfreemem (note);
    }
    if (any)
      changes_move ();
  }
}

static void *
listener_main (void *cls)
{
  (void) cls;
  unsigned backoff = RECONNECT_MIN_MS;
  bool said_down = false;
  for (;;)
  {
    PGconn *pg = listener_connect ();
    if (NULL == pg)
    {
      if (!said_down)
        log_event ("warning", "cache: cannot listen for register changes; "
                              "evicting only by version until it can");
      said_down = true;
      if (sleep_or_stop (backoff))
        break;
      backoff
          = (2 * backoff > RECONNECT_MAX_MS) ? RECONNECT_MAX_MS : 2 * backoff;
      continue;
    }
    backoff = RECONNECT_MIN_MS;
    if (said_down)
      log_event ("info", "cache: listening for register changes again");
    said_down = false;
    atomic_store (&listening, true);
    changes_move (); /* changes may have been missed while away */
    bool stopping = listen_on (pg);
    atomic_store (&listening, false);
    PQfinish (pg);
    if (stopping)
      break;
    log_event ("warning", "cache: lost the register-change listener; "
                          "evicting only by version until it is back");
    said_down = true;
    if (sleep_or_stop (RECONNECT_MIN_MS))
      break;
  }
  return NULL;
}

int
cache_start (size_t cache_bytes)
{
  if (0 != store_init (cache_bytes))
    return -1;
  if (0 != pipe (stop_pipe))
    return -1;
  if (0 != pthread_create (&listener_thread, NULL, listener_main, NULL))
  {
    close (stop_pipe[0]);
    close (stop_pipe[1]);
    stop_pipe[0] = stop_pipe[1] = -1;
    return -1;
  }
  listener_running = true;
  gate_open ();
  for (; readers_running < READERS; readers_running++)
    if (0
        != pthread_create (&reader_threads[readers_running], NULL, reader_main,
                           NULL))
    {
      gate_close ();
      return -1;
    }
  return 0;
}

int
cache_testing_start (size_t cache_bytes)
{
  gate_open ();
  return store_init (cache_bytes);
}

void
cache_stop (void)
{
  gate_close ();
  if (listener_running)
  {
    if (1 != write (stop_pipe[1], "x", 1))
      log_event ("warning", "cache: cannot signal the listener to stop");
    pthread_join (listener_thread, NULL);
    listener_running = false;
    close (stop_pipe[0]);
    close (stop_pipe[1]);
    stop_pipe[0] = stop_pipe[1] = -1;
  }
  struct cache_stats st;
  cache_stats (&st);
  if (st.hits + st.misses > 0)
    log_event ("info",
               "cache: %llu hits, %llu misses (%llu outdated), %llu stored, "
               "%llu evicted, %llu notifications; %zu entries, %zu bytes",
               (unsigned long long) st.hits, (unsigned long long) st.misses,
               (unsigned long long) st.outdated, (unsigned long long) st.stores,
               (unsigned long long) st.evictions,
               (unsigned long long) st.notifications, st.entries, st.bytes);
  if (atomic_load (&stat_joins) > 0)
    log_event ("info", "cache: %llu versions read for %llu requests",
               (unsigned long long) atomic_load (&stat_rounds),
               (unsigned long long) atomic_load (&stat_joins));
  changes_move (); /* wakes any waiter of cache_changes_wait */
  store_free ();
}

/* ---- HTTP glue ---- */

static void
release_cb (void *cls)
{
  cache_entry_release (cls);
}

/* Answers REQ from ENTRY (whose hold it takes over). */
static void
reply_entry (struct request *req, const struct cache_entry *entry)
{
  const char *etag = cache_entry_etag (entry);
  if (public_etag_matches (req, etag))
  {
    reply_empty (req, 304);
    reply_add_header (req, MHD_HTTP_HEADER_ETAG, etag);
    cache_entry_release (entry);
  }
  else
  {
    size_t len;
    const char *body = cache_entry_body (entry, &len);
    struct MHD_Response *response
        = MHD_create_response_from_buffer_with_free_callback_cls (
            len, (void *) body, release_cb, (void *) entry);
    if (NULL == response)
      abort (); /* out of memory, as reply.c treats it */
    MHD_add_response_header (response, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             "application/json; charset=utf-8");
    if (NULL != req->response)
      MHD_destroy_response (response); /* a second reply: a bug upstream */
    else
    {
      req->response = response;
      req->status = 200;
    }
  }
  reply_add_header (req, MHD_HTTP_HEADER_CACHE_CONTROL, PUBLIC_CACHE_CONTROL);
  reply_add_header (req, "Access-Control-Expose-Headers", "ETag");
}

bool
cache_serve (struct request *req, const struct cache_version *now,
             const char *key, size_t key_len)
{
  if (req->wants_html || NULL == req->route || NULL == now)
    return false;
  const struct cache_entry *entry
      = cache_get ((unsigned) router_index (req->route), key, key_len, now);
  if (NULL == entry)
    return false;
  reply_entry (req, entry);
  return true;
}

int
cache_reply_json_steal (struct request *req, const struct cache_version *made,
                        const char *key, size_t key_len, json_t *data)
{
  if (NULL == data)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *text = json_dumps (data, JSON_COMPACT);
  json_decref (data);
  if (NULL == text)
    return reply_error_default (req, ERR_INTERNAL);
  size_t len = strlen (text);
  char etag[PUBLIC_ETAG_SIZE];
  public_etag (text, len, etag);
  const struct cache_entry *entry = NULL;
  if (NULL != made && !req->wants_html && NULL != req->route)
    entry = cache_put ((unsigned) router_index (req->route), key, key_len, made,
                       text, len, etag);
  if (NULL != entry)
  {
    free (text);
    reply_entry (req, entry);
    return 0;
  }
  if (public_etag_matches (req, etag))
    reply_empty (req, 304);
  else
    reply_text (req, 200, "application/json; charset=utf-8", text, len);
  free (text);
  reply_add_header (req, MHD_HTTP_HEADER_ETAG, etag);
  reply_add_header (req, MHD_HTTP_HEADER_CACHE_CONTROL, PUBLIC_CACHE_CONTROL);
  reply_add_header (req, "Access-Control-Expose-Headers", "ETag");
  return 0;
}
