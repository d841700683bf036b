/*
 * The never-stale response cache and the register version it is checked
 * against.
 *
 * Two parts.  The version says whether what was read from the database is
 * still what the database holds: register_version (schema/
 * 0025_register_version.sql) moves in the very transaction of every write to
 * the register, and every request that would be answered from memory first
 * reads it (cache_version_read) on its own public connection.  The store
 * keeps serialised public answers (body and ETag) by route and normalised
 * key, each labelled with the version read BEFORE its data was read, bounded
 * in bytes (FAIRREG_CACHE_MB), in sharded tables with one LRU list per shard;
 * a hit hands the stored body to libmicrohttpd without copying it.  A
 * listener thread (LISTEN fairreg_register) evicts eagerly and wakes the
 * search index's rebuilder; correctness does not depend on it.  cache.c
 * opens with the argument why an answer is never stale.
 *
 * A request answered from memory reads the version through a shared read
 * (http_request_version, over cache_version_join below): one reader thread
 * sends one read at a time, each answering every request that joined before
 * it was sent, while the requests' connections are suspended, so that no
 * worker thread waits on the database for an answer it holds in memory.  A
 * request that misses reads the version again on its own connection, just
 * before the data, and labels what it stores with that one.
 *
 * The pattern for a handler:
 *
 *     struct cache_version v;
 *     switch (http_request_version (req, &v))
 *       PENDING: return 0;                  -- called again once read
 *       READ:    if (cache_serve (req, &v, key, key_len)) return 0;
 *     bool versioned = cache_version_read (request_db (req), &v);
 *     ... read the database, build json ...
 *     return cache_reply_json_steal (req, versioned ? &v : NULL,
 *                                    key, key_len, json);
 */
#ifndef FAIRREG_CACHE_H
#define FAIRREG_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct request;
struct db_conn;

/* What the database said, in one statement (one snapshot), before anything
   held in memory is trusted. */
struct cache_version
{
  int64_t version; /* register_version.version */
  int32_t day;     /* the database's current_date: statuses change at
                      midnight without any write */
};

/* Reads the current version on CONN (the request's public connection, so the
   very database, primary or standby, whose data the request is served) into
   *V, with the prepared statement SELECT version, current_date FROM
   pub_register_version.  Returns false if CONN is NULL or the read failed:
   then nothing may be served from memory. */
bool cache_version_read (struct db_conn *conn, struct cache_version *v);

/* May what was made from data read at version MADE (read before the data)
   answer a request that read NOW?  Same day, and MADE at or after NOW. */
bool cache_version_covers (const struct cache_version *made,
                           const struct cache_version *now);

/* ---- the shared read ---- */

enum cache_version_state
{
  CACHE_VERSION_PENDING, /* joined; the read is not done yet */
  CACHE_VERSION_READ,    /* version holds what the read found */
  CACHE_VERSION_FAILED,  /* no version: serve nothing from memory */
};

/* One request's place in the shared read.  The caller sets READY and CLS,
   then joins; the rest belongs to the reader until READY is called. */
struct cache_version_wait
{
  void (*ready) (void *cls); /* on the reader's thread, once done: after it,
                                the reader never touches the wait again */
  void *cls;
  struct cache_version_wait *next;
  uint64_t round; /* the read that answers it: one sent after it joined */
  enum cache_version_state state;
  struct cache_version version;
};

/* Joins W to the next read sent (never to one already in flight, which may
   have started before the caller's request arrived).  Without a reader
   (cache_start not called, or stopping) W fails at once: READY is called
   before this returns. */
void cache_version_join (struct cache_version_wait *w);

/* Starts the listener thread on the primary database (config.database_url)
   and sizes the store to CACHE_BYTES (0: no store).  Returns 0, or -1 if the
   thread cannot start. */
int cache_start (size_t cache_bytes);

/* Stops the listener and frees the store (entries still held by responses
   in flight are freed when those are). */
void cache_stop (void);

/* The count of register changes this process has heard of (notifications,
   reconnections of the listener, cache_invalidate): it only ever grows.  An
   accelerator: the search index's rebuilder waits on it. */
uint64_t cache_changes_heard (void);

/* Waits up to TIMEOUT_MS for cache_changes_heard() to move past SEEN, or for
   cache_poke() or cache_stop().  For background rebuilders. */
void cache_changes_wait (uint64_t seen, unsigned timeout_ms);

/* Wakes cache_changes_wait() at once (a request saw a newer version than
   what memory holds). */
void cache_poke (void);

/* Evicts everything cached, now.  Never needed for correctness (the version
   check is); writes made by this process call it to free memory early. */
void cache_invalidate (void);

/* ---- the store ---- */

struct cache_entry;

/* The entry for (ROUTE, KEY) if it covers version NOW (see
   cache_version_covers), held until cache_entry_release(); NULL when there
   is none (or it is older, or the cache is off). */
const struct cache_entry *cache_get (unsigned route, const char *key,
                                     size_t key_len,
                                     const struct cache_version *now);

/* Stores a copy of BODY (with its ETAG, a quoted string) for (ROUTE, KEY)
   made from data read at or after version MADE, and returns it held
   (release it); NULL when it was not stored (no store, a newer entry is
   there, larger than an eighth of a shard).  A later put for the same key
   replaces an entry that is not newer. */
const struct cache_entry *cache_put (unsigned route, const char *key,
                                     size_t key_len,
                                     const struct cache_version *made,
                                     const char *body, size_t body_len,
                                     const char *etag);

/* Drops a hold; the entry is freed once it is evicted and nobody holds it. */
void cache_entry_release (const struct cache_entry *entry);

const char *cache_entry_body (const struct cache_entry *entry, size_t *len);
const char *cache_entry_etag (const struct cache_entry *entry);

struct cache_stats
{
  uint64_t hits;
  uint64_t misses;
  uint64_t stores;
  uint64_t evictions;
  uint64_t outdated; /* lookups that found an entry older than the version */
  uint64_t notifications;
  size_t bytes;
  size_t entries;
  bool listening;
};
void cache_stats (struct cache_stats *st);

/* For tests only: sizes the store like cache_start but starts no
   listener and no reader; the shared read is driven by hand: a round is
   sent (begin: false if nobody waits) and then done with a result (end). */
int cache_testing_start (size_t cache_bytes);
bool cache_testing_round_begin (void);
void cache_testing_round_end (bool ok, const struct cache_version *v);

/* ---- HTTP glue for the public GET handlers ---- */

/* Answers REQ from the cache if an entry for its route and KEY covers
   version NOW (read by this request, before): 200 with the stored body
   (JSON, not copied), or 304 when If-None-Match names its ETag; with ETag
   and the public Cache-Control.  Returns true if it answered.  Never answers
   HTML requests (their body differs). */
bool cache_serve (struct request *req, const struct cache_version *now,
                  const char *key, size_t key_len);

/* Serialises DATA (ownership taken; NULL answers 503), stores it under
   (REQ's route, KEY) labelled MADE when MADE is non-NULL (the version read
   before DATA was), and answers as cache_serve would have.  Returns 0. */
int cache_reply_json_steal (struct request *req,
                            const struct cache_version *made, const char *key,
                            size_t key_len, json_t *data);

#endif
