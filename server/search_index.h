/*
 * In-process name search.  A pg_trgm word_similarity search costs about
 * 10 ms of database CPU over 100k names, which caps any server that asks the
 * database at 150 to 200 searches a second; this index answers the same
 * question from memory in well under a millisecond, and the database only
 * fills in the few agencies of the page.
 *
 * What it holds: every name of every public agency (pub_agency.name and
 * every pub_agency_name), folded with the database's own fr_fold, cut into
 * trigrams of code points (so Thai, Burmese, Khmer and Lao, which write no
 * spaces between words, are searched by substring just as well), with
 * posting lists of names per trigram (delta-coded varints, or bitmaps for
 * the commonest trigrams), per name its agency and trigram count (not its
 * text), and per agency its id, country and in_good_standing for the
 * filters (search_index.c tells how a search reads them).
 *
 * Scoring (an integer from 0 to 1,000,000, so that pagination cursors
 * compare exactly): for a query with the set Q of n trigrams and a name with
 * the set T of t trigrams, sharing c of them,
 *     score = 800000 * c / n  +  200000 * c / (n + t - c)
 * The first term is the share of the query found in the name, which is what
 * pg_trgm's word_similarity measures (without its requirement that the
 * shared trigrams be contiguous); the second is pg_trgm's similarity, so
 * that among names that contain the whole query, the one closest to it in
 * length comes first.  An agency scores the best of its names.  Results are
 * ordered by score, best first, then by agency id; names scoring below
 * 300,000 are not matches.  A word (a run of letters, marks and digits
 * between separators) is padded as pg_trgm pads it, two spaces before and
 * one after, so a one-letter typo still leaves most of a word's trigrams in
 * place and a missing space costs only the trigrams at the join.
 *
 * With each agency the index keeps the summary a search result shows (name,
 * country, standing, licences with their effective statuses), read from the
 * same snapshot, so a page is answered without the database.
 *
 * Freshness: an index is built in a background thread from one REPEATABLE
 * READ snapshot, and labelled with the register version (cache.h) read in
 * that same snapshot, which is exact.  A search passes the version its
 * request read (before anything else, on its own connection) and the index
 * is used only if its label covers it (same day, same version or newer);
 * otherwise the caller asks the database, and the rebuilder is woken.  The
 * argument is cache.c's: the request's version read is after any commit its
 * client saw return, so an index built before that commit is never used.
 */
#ifndef FAIRREG_SEARCH_INDEX_H
#define FAIRREG_SEARCH_INDEX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEARCH_SCORE_MAX 1000000u
#define SEARCH_SCORE_MIN 300000u
/* Longer queries are cut to their first this many distinct trigrams. */
#define SEARCH_MAX_QUERY_TRIGRAMS 96
/* Names are indexed on their first this many trigrams. */
#define SEARCH_MAX_NAME_TRIGRAMS 1024

struct search_index;
struct search_index_builder;
struct cache_version;
struct fold_map;

/* ---- building (pure logic; the live layer below feeds it from the database)
 */

/* Starts an index.  Never NULL (aborts on out of memory). */
struct search_index_builder *search_index_builder_new (void);

/* Adds an agency: ID (positive, strictly increasing from call to call),
   COUNTRY (two letters), standing, and its SUMMARY (LEN bytes of JSON, the
   object a search result carries; may be NULL).  Returns false if ID is out
   of order. */
bool search_index_builder_add_agency (struct search_index_builder *b,
                                      int64_t id, const char *country,
                                      bool in_good_standing,
                                      const char *summary, size_t len);

/* Adds a name, already folded with fr_fold, of agency AGENCY_ID (added
   before).  Returns false if the agency is unknown. */
bool search_index_builder_add_name (struct search_index_builder *b,
                                    int64_t agency_id, const char *folded,
                                    size_t len);

/* Builds the index and frees B.  Never NULL. */
struct search_index *
search_index_builder_finish (struct search_index_builder *b);

/* Frees IDX (only when nobody holds it); NULL is fine. */
void search_index_free (struct search_index *idx);

/* ---- searching ---- */

struct search_filter
{
  char country[3]; /* "" for any, else two upper-case letters */
  int standing;    /* -1 any, 1 in good standing only, 0 not in good standing */
};

struct search_hit
{
  int64_t agency_id;
  uint32_t score; /* 0 .. SEARCH_SCORE_MAX */
};

/* Where a page starts: after the hit (score, agency_id) of the previous
   page's last item, in the order score descending, id ascending. */
struct search_after
{
  bool set;
  uint32_t score;
  int64_t agency_id;
};

/* Per-thread working memory of searches (one per thread; never shared). */
struct search_scratch;
struct search_scratch *search_scratch_new (void);
void search_scratch_free (struct search_scratch *s);

/* Searches IDX for the FOLDED query (LEN bytes) with filter F (NULL: none),
   starting after AFTER (NULL: first page).  Writes up to LIMIT hits, best
   first, into HITS and returns how many; *MORE says whether a further page
   exists.  A query without any letter or digit matches nothing. */
size_t search_index_query (const struct search_index *idx,
                           struct search_scratch *scratch, const char *folded,
                           size_t len, const struct search_filter *f,
                           const struct search_after *after,
                           struct search_hit *hits, size_t limit, bool *more);

/* The summary of agency ID stored with the index (LEN bytes of JSON), or
   NULL. */
const char *search_index_summary (const struct search_index *idx, int64_t id,
                                  size_t *len);

/* The score of the FOLDED query against one FOLDED name, as the index would
   compute it (for tests and for the database path's ordering). */
uint32_t search_score (const char *query, size_t query_len, const char *name,
                       size_t name_len);

struct search_index_stats
{
  size_t agencies;
  size_t names;
  size_t trigrams;
  size_t postings;
  size_t bitmap_lists;  /* lists kept as bitmaps (the commonest trigrams) */
  size_t blocked_lists; /* lists kept as varints with a block table */
  size_t bytes;         /* memory held by the index */
};
void search_index_stats (const struct search_index *idx,
                         struct search_index_stats *st);

/* ---- the live index of the server ---- */

/* Starts the thread that builds the index from the public views (role
   fairreg_public, on the read database) whenever the register version moves
   on (woken by the cache's listener or by a search that found the index
   older; it also checks the version every second).  Needs cache_start()
   first.  Returns 0, or -1 if the thread cannot
   start. */
int search_index_start (void);

/* Stops the thread and frees the index. */
void search_index_stop (void);

/* The live index if its version covers NOW (read by the request before),
   held until search_index_release(); NULL when the caller must ask the
   database (none built yet, or older than NOW: the rebuilder is woken). */
const struct search_index *
search_index_acquire (const struct cache_version *now);
void search_index_release (const struct search_index *idx);

/* Folds the query TEXT (LEN bytes of UTF-8) exactly as fr_fold would, with
   the map IDX was checked against, into OUT (OUT_SIZE bytes).  Returns the
   folded length, or (size_t) -1 if it does not fit. */
size_t search_index_fold (const struct search_index *idx, const char *text,
                          size_t len, char *out, size_t out_size);

/* A thread's scratch for searches on the server's threads (made on first
   use, freed when the thread ends). */
struct search_scratch *search_thread_scratch (void);

/* One page of the public name search from the live index, for GET
   /v1/agencies?q=: folds Q (as typed), applies COUNTRY ("" or NULL: any) and
   STANDING (-1, 0, 1), starts after AFTER_SCORE (a score as
   search_score_text prints it; NULL: first page) and AFTER_ID.  Returns the
   page as a new JSON array of agency summaries (read from the same snapshot
   as the index, so as current as it), with *MORE, and the last hit's
   cursor key in LAST_SCORE (16 bytes) and *LAST_ID; NULL when there is no
   index covering version NOW (read by the request first): ask the
   database. */
json_t *search_index_page (const char *q, const char *country, int standing,
                           const char *after_score, int64_t after_id,
                           unsigned limit, const struct cache_version *now,
                           bool *more, char *last_score, int64_t *last_id);

/* SCORE as the text of a cursor ("0.837777"), into OUT (at least 16). */
void search_score_text (uint32_t score, char *out, size_t size);

#endif
