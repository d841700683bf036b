/*
 * The in-process name search (see search_index.h for what it answers and how
 * it scores).
 *
 * Layout, compact because it must fit the whole server in 128 MB on a
 * 100k-agency registry: agencies are numbered 0..n-1 in id order, and names
 * 0..m-1 in agency order, an agency's names together.  A trigram (three
 * code points, 21 bits each, packed into 64 bits) maps through an
 * open-addressing table to the list of the names having it: delta-coded
 * LEB128 varints (one or two bytes a posting), cut into blocks of 64
 * behind a table of where each block starts when longer than one, or, for
 * the commonest trigrams, a bitmap over all names (a probe is then one
 * bit).  Per name the index keeps its agency and its count of distinct
 * trigrams, not its text: every count a search needs comes from the lists,
 * and the folded names are dropped once the lists are built.
 *
 * A search takes the query's distinct trigrams, rarest list first, and
 * counts for every name on their lists how many of them it has.  After j
 * lists, a name not yet touched shares at most n - j of the query's n
 * trigrams, so its score is at most 1,000,000 * (n - j) / n; once that
 * falls below the page, no list can bring a new candidate.  The page is
 * filled early from the names with the most trigrams, scored exactly (the
 * name first, its agency's other names only if it can enter the page) by
 * probing the lists not read; its worst hit is the score every other
 * candidate must reach.  This is done once after those rarest lists, and
 * also while reading them once many names have been found on half the lists
 * read (a long query whose page is made of near-identical names), if the
 * lists it may spare outweigh its probes: raising the page's worst hit ends
 * the reading sooner.  The common lists left (the longest by far, most of
 * the postings of a query over a million agencies) are each read for the
 * names already touched, or walked alongside the candidates sorted by number
 * (skipping the blocks none of them is in, or testing their bits), whichever
 * costs less, dropping after each the candidates whose bound (the trigrams
 * found plus every list left) falls below the page; once scoring every
 * candidate by probing costs less than that, the rest are scored so, best
 * bound first, until no bound can enter the page.
 *
 * The per-search working memory is a thread's (search_scratch): a 16-bit
 * word per name (the search that last touched it and its count), and the
 * names touched.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cache.h"
#include "config.h"
#include "db/agencies.h"
#include "fold.h"
#include "log.h"
#include "search_index.h"

static void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (NULL == p)
    abort ();
  return p;
}

static void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (NULL == p)
    abort ();
  return p;
}

static void *
xrealloc (void *p, size_t size)
{
  void *q = realloc (p, size ? size : 1);
  if (NULL == q)
    abort ();
  return q;
}

/* ---- words and trigrams ---- */

/* Code points that separate words: ASCII other than letters and digits, and
   the punctuation, symbol and space blocks of Unicode (with the
   punctuation marks of Thai, Lao, Burmese and Khmer).  Everything else,
   letters, combining marks and digits of every script, is part of a word:
   Thai and Burmese vowel signs are combining marks, and cutting words at
   them (as pg_trgm does) would shred the name. */
static bool
is_separator (uint32_t cp)
{
  if (cp < 0x80)
    return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')
             || (cp >= '0' && cp <= '9'));
  if (cp <= 0xBF)
    return cp != 0xAA && cp != 0xB5 && cp != 0xBA && cp != 0xB2 && cp != 0xB3
           && cp != 0xB9 && cp != 0xBC && cp != 0xBD && cp != 0xBE;
  if (cp == 0xD7 || cp == 0xF7)
    return true;
  if (cp == 0x0E2F || cp == 0x0E4F || cp == 0x0E5A || cp == 0x0E5B)
    return true; /* Thai paiyannoi, fongman, angkhankhu, khomut */
  if (cp == 0x0EAF)
    return true; /* Lao ellipsis */
  if (cp == 0x104A || cp == 0x104B)
    return true; /* Burmese little and big section */
  if (cp >= 0x17D4 && cp <= 0x17DA)
    return true; /* Khmer punctuation */
  if (cp == 0x0964 || cp == 0x0965)
    return true; /* danda */
  if (cp >= 0x2000 && cp <= 0x2BFF)
    return true; /* spaces, punctuation, symbols, arrows, shapes */
  if (cp >= 0x3000 && cp <= 0x303F)
    return true; /* CJK punctuation */
  if (cp >= 0xFE30 && cp <= 0xFE4F)
    return true;
  if ((cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20)
      || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65))
    return true; /* full-width punctuation */
  if (cp == 0xFEFF || cp == 0xFFFD)
    return true;
  return false;
}

static inline uint64_t
trigram_key (uint32_t a, uint32_t b, uint32_t c)
{
  return ((uint64_t) a << 42) | ((uint64_t) b << 21) | (uint64_t) c;
}

/* Writes the trigrams of the folded TEXT, in order, at most CAP of them,
   into OUT; returns how many.  Each word is padded as "  word ". */
static size_t
text_trigrams (const char *text, size_t len, uint64_t *out, size_t cap)
{
  size_t count = 0;
  size_t pos = 0;
  uint32_t p1 = ' '; /* the two code points before the current one */
  uint32_t p2 = ' ';
  bool in_word = false;
  while (pos < len && count < cap)
  {
    /* most names are ASCII: no call for those */
    uint32_t cp = (unsigned char) text[pos];
    if (cp < 0x80)
      pos++;
    else
      cp = fold_utf8_next (text, len, &pos);
    if (is_separator (cp))
    {
      if (in_word)
        out[count++] = trigram_key (p1, p2, ' ');
      in_word = false;
      continue;
    }
    if (!in_word)
    {
      p1 = ' ';
      p2 = ' ';
      in_word = true;
    }
    out[count++] = trigram_key (p1, p2, cp);
    p1 = p2;
    p2 = cp;
  }
  if (in_word && count < cap)
    out[count++] = trigram_key (p1, p2, ' ');
  return count;
}

static int
key_cmp (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a;
  uint64_t y = *(const uint64_t *) b;
  return (x > y) - (x < y);
}

/* Sorts and deduplicates KEYS; returns the distinct count. */
static size_t
sort_unique (uint64_t *keys, size_t n)
{
  if (n < 2)
    return n;
  qsort (keys, n, sizeof *keys, key_cmp);
  size_t kept = 1;
  for (size_t i = 1; i < n; i++)
    if (keys[i] != keys[kept - 1])
      keys[kept++] = keys[i];
  return kept;
}

static inline uint32_t
score_of (uint32_t c, uint32_t n, uint32_t t)
{
  if (0 == c || 0 == n)
    return 0;
  return (uint32_t) ((800000ULL * c) / n + (200000ULL * c) / (n + t - c));
}

/* ---- a small set of query trigrams, for verification ---- */

#define QSET_SIZE 256 /* a power of two, at least 2 * max query trigrams */

struct qset
{
  uint64_t keys[QSET_SIZE];
  uint32_t seen[QSET_SIZE]; /* the name being scored last counted it */
};

static inline size_t
qset_slot (uint64_t key)
{
  return (size_t) ((key * 0x9E3779B97F4A7C15ULL) >> 56) & (QSET_SIZE - 1);
}

static void
qset_add (struct qset *q, uint64_t key)
{
  size_t i = qset_slot (key);
  while (0 != q->keys[i] && key != q->keys[i])
    i = (i + 1) & (QSET_SIZE - 1);
  q->keys[i] = key;
}

/* How many of the query's trigrams the NAME has (each counted once). */
static uint32_t
qset_shared (struct qset *q, uint32_t stamp, const char *name, size_t len,
             uint64_t *buf)
{
  size_t n = text_trigrams (name, len, buf, SEARCH_MAX_NAME_TRIGRAMS);
  uint32_t c = 0;
  for (size_t k = 0; k < n; k++)
  {
    size_t i = qset_slot (buf[k]);
    while (0 != q->keys[i])
    {
      if (q->keys[i] == buf[k])
      {
        if (q->seen[i] != stamp)
        {
          q->seen[i] = stamp;
          c++;
        }
        break;
      }
      i = (i + 1) & (QSET_SIZE - 1);
    }
  }
  return c;
}

/* The distinct trigrams of a query, in order of first appearance, at most
   SEARCH_MAX_QUERY_TRIGRAMS; returns the count. */
static size_t
query_trigrams (const char *query, size_t len, uint64_t *out, uint64_t *buf,
                struct qset *seen)
{
  size_t all = text_trigrams (query, len, buf, SEARCH_MAX_NAME_TRIGRAMS);
  memset (seen->keys, 0, sizeof seen->keys);
  size_t n = 0;
  for (size_t k = 0; k < all && n < SEARCH_MAX_QUERY_TRIGRAMS; k++)
  {
    size_t i = qset_slot (buf[k]);
    while (0 != seen->keys[i] && buf[k] != seen->keys[i])
      i = (i + 1) & (QSET_SIZE - 1);
    if (0 != seen->keys[i])
      continue;
    seen->keys[i] = buf[k];
    out[n++] = buf[k];
  }
  return n;
}

uint32_t
search_score (const char *query, size_t query_len, const char *name,
              size_t name_len)
{
  uint64_t *buf = xmalloc (SEARCH_MAX_NAME_TRIGRAMS * sizeof *buf);
  uint64_t q[SEARCH_MAX_QUERY_TRIGRAMS];
  struct qset *set = xcalloc (1, sizeof *set);
  size_t n = query_trigrams (query, query_len, q, buf, set);
  memset (set, 0, sizeof *set);
  for (size_t i = 0; i < n; i++)
    qset_add (set, q[i]);
  uint32_t c = qset_shared (set, 1, name, name_len, buf);
  size_t t = sort_unique (
      buf, text_trigrams (name, name_len, buf, SEARCH_MAX_NAME_TRIGRAMS));
  free (set);
  free (buf);
  return score_of (c, (uint32_t) n, (uint32_t) t);
}

/* ---- the index ---- */

/* How a posting list is stored (search_index.post_kind). */
enum list_kind
{
  /* names as delta-coded LEB128 varints (one or two bytes a posting) */
  LIST_VARINT,
  /* the same, in blocks of LIST_BLOCK postings, after a table of the last
     name before each block but the first (uint32) and of where each such
     block starts (uint32, bytes from the first varint): a probe for one
     name is a binary search of the table and at most one block decoded */
  LIST_BLOCKED,
  /* one bit per name: the lists of the commonest trigrams (see
     BITMAP_FACTOR); a probe is one bit */
  LIST_BITMAP
};

/* Postings per block of a LIST_BLOCKED list; shorter lists are plain. */
#define LIST_BLOCK 64

/* A list is kept as a bitmap when that takes at most this many times the
   bytes of its varints: one name in eight on it makes a bitmap smaller,
   but the lists of one name in fifty are those a search over a million
   agencies probes most, and a bit costs a few nanoseconds to test where a
   block costs a few dozen to decode.  (Six: the index of the benchmark's
   million agencies is 23 MB larger than with bitmaps only where smaller,
   and its searches 10% faster; eight would add 28 MB more for 4%.) */
#define BITMAP_FACTOR 6

struct search_index
{
  atomic_uint refs;
  struct cache_version version; /* the live layer's label */
  const struct fold_map *fold;  /* checked against the database's fr_fold */

  uint32_t agency_count;
  int64_t *agency_id;          /* ascending */
  uint16_t *agency_country;    /* two letters, packed */
  uint8_t *agency_good;        /* in_good_standing */
  uint32_t *agency_first_name; /* agency_count + 1 entries */
  uint32_t *agency_summary;    /* agency_count + 1 offsets into summaries */
  char *summaries;             /* the agencies' summaries, JSON */
  size_t summaries_len;

  /* Names are numbered in agency order, an agency's names together; the
     text of a name is not kept: a search counts shared trigrams from the
     posting lists alone. */
  uint32_t name_count;
  uint32_t *name_agency;   /* the agency of each name */
  uint16_t *name_trigrams; /* distinct trigrams of each name */

  /* trigram -> list: open addressing over trigram keys */
  uint64_t *tri_keys; /* 0: empty */
  uint32_t *tri_ids;
  size_t tri_cap; /* a power of two */
  uint32_t tri_count;
  uint32_t *post_count; /* names on each list */
  uint32_t *post_off;   /* tri_count + 1 byte offsets into postings */
  uint8_t *post_kind;   /* enum list_kind */
  uint8_t *postings;
  size_t posting_total;
  size_t postings_len;
  size_t bitmap_lists;
  size_t blocked_lists;
};

struct search_index_builder
{
  struct search_index *idx;
  size_t agency_cap;
  /* names as added: agency index, offset into the arena, length */
  uint32_t *name_agency;
  uint32_t *name_off;
  uint16_t *name_len;
  size_t name_count;
  size_t name_cap;
  char *arena; /* the folded names, only while building */
  size_t arena_len;
  size_t arena_cap;
  size_t summaries_cap;
};

static inline uint16_t
pack_country (const char *cc)
{
  if (NULL == cc || '\0' == cc[0] || '\0' == cc[1])
    return 0;
  return (uint16_t) (((unsigned char) cc[0] << 8) | (unsigned char) cc[1]);
}

struct search_index_builder *
search_index_builder_new (void)
{
  struct search_index_builder *b = xcalloc (1, sizeof *b);
  b->idx = xcalloc (1, sizeof *b->idx);
  atomic_init (&b->idx->refs, 1);
  return b;
}

/* Copies the JSON TEXT without the whitespace outside its strings. */
static size_t
json_compact_copy (char *out, const char *text, size_t len)
{
  size_t used = 0;
  bool in_string = false;
  for (size_t i = 0; i < len; i++)
  {
    char c = text[i];
    if (in_string)
    {
      out[used++] = c;
      if ('\\' == c && i + 1 < len)
        out[used++] = text[++i];
      else if ('"' == c)
        in_string = false;
      continue;
    }
    if (' ' == c || '\n' == c || '\t' == c || '\r' == c)
      continue;
    in_string = '"' == c;
    out[used++] = c;
  }
  return used;
}

bool
search_index_builder_add_agency (struct search_index_builder *b, int64_t id,
                                 const char *country, bool in_good_standing,
                                 const char *summary, size_t len)
{
  struct search_index *idx = b->idx;
  if (id <= 0
      || (idx->agency_count > 0 && id <= idx->agency_id[idx->agency_count - 1])
      || idx->agency_count == UINT32_MAX - 1
      || idx->summaries_len + len > UINT32_MAX)
    return false;
  if (idx->agency_count + 1 >= b->agency_cap)
  {
    b->agency_cap = 2 * b->agency_cap + 1024;
    idx->agency_summary = xrealloc (
        idx->agency_summary, b->agency_cap * sizeof *idx->agency_summary);

    idx->agency_id
        = xrealloc (idx->agency_id, b->agency_cap * sizeof *idx->agency_id);
    idx->agency_country = xrealloc (
        idx->agency_country, b->agency_cap * sizeof *idx->agency_country);
    idx->agency_good
        = xrealloc (idx->agency_good, b->agency_cap * sizeof *idx->agency_good);
  }
  idx->agency_id[idx->agency_count] = id;
  idx->agency_country[idx->agency_count] = pack_country (country);
  idx->agency_good[idx->agency_count] = in_good_standing ? 1 : 0;
  if (NULL == summary)
    len = 0;
  if (idx->summaries_len + len > b->summaries_cap)
  {
    b->summaries_cap = 2 * (b->summaries_cap + len) + 4096;
    idx->summaries = xrealloc (idx->summaries, b->summaries_cap);
  }
  idx->agency_summary[idx->agency_count] = (uint32_t) idx->summaries_len;
  if (len > 0)
    idx->summaries_len += json_compact_copy (
        idx->summaries + idx->summaries_len, summary, len);
  idx->agency_count++;
  idx->agency_summary[idx->agency_count] = (uint32_t) idx->summaries_len;
  return true;
}

static bool
agency_index (const struct search_index *idx, int64_t id, uint32_t *out)
{
  size_t lo = 0;
  size_t hi = idx->agency_count;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2;
    if (idx->agency_id[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == idx->agency_count || idx->agency_id[lo] != id)
    return false;
  *out = (uint32_t) lo;
  return true;
}

const char *
search_index_summary (const struct search_index *idx, int64_t id, size_t *len)
{
  uint32_t a;
  if (!agency_index (idx, id, &a)
      || idx->agency_summary[a] == idx->agency_summary[a + 1])
    return NULL;
  *len = idx->agency_summary[a + 1] - idx->agency_summary[a];
  return idx->summaries + idx->agency_summary[a];
}

bool
search_index_builder_add_name (struct search_index_builder *b,
                               int64_t agency_id, const char *folded,
                               size_t len)
{
  struct search_index *idx = b->idx;
  uint32_t a;
  if (!agency_index (idx, agency_id, &a) || b->name_count == UINT32_MAX - 1)
    return false;
  if (len > UINT16_MAX)
  {
    /* cut at a code point boundary */
    len = UINT16_MAX;
    while (len > 0 && 0x80 == ((unsigned char) folded[len] & 0xC0))
      len--;
  }
  if (b->arena_len + len > UINT32_MAX)
    return false;
  if (b->name_count == b->name_cap)
  {
    b->name_cap = 2 * b->name_cap + 1024;
    b->name_agency
        = xrealloc (b->name_agency, b->name_cap * sizeof *b->name_agency);
    b->name_off = xrealloc (b->name_off, b->name_cap * sizeof *b->name_off);
    b->name_len = xrealloc (b->name_len, b->name_cap * sizeof *b->name_len);
  }
  if (b->arena_len + len > b->arena_cap)
  {
    b->arena_cap = 2 * (b->arena_cap + len) + 4096;
    b->arena = xrealloc (b->arena, b->arena_cap);
  }
  memcpy (b->arena + b->arena_len, folded, len);
  b->name_agency[b->name_count] = a;
  b->name_off[b->name_count] = (uint32_t) b->arena_len;
  b->name_len[b->name_count] = (uint16_t) len;
  b->name_count++;
  b->arena_len += len;
  return true;
}

/* Finds the slot of KEY in the trigram table (empty slot if absent). */
static inline size_t
tri_slot (const struct search_index *idx, uint64_t key)
{
  size_t mask = idx->tri_cap - 1;
  size_t i = (size_t) ((key * 0x9E3779B97F4A7C15ULL) >> 20) & mask;
  while (0 != idx->tri_keys[i] && key != idx->tri_keys[i])
    i = (i + 1) & mask;
  return i;
}

static void
tri_grow (struct search_index *idx)
{
  uint64_t *old_keys = idx->tri_keys;
  uint32_t *old_ids = idx->tri_ids;
  size_t old_cap = idx->tri_cap;
  idx->tri_cap = old_cap ? 2 * old_cap : 4096;
  idx->tri_keys = xcalloc (idx->tri_cap, sizeof *idx->tri_keys);
  idx->tri_ids = xmalloc (idx->tri_cap * sizeof *idx->tri_ids);
  for (size_t i = 0; i < old_cap; i++)
    if (0 != old_keys[i])
    {
      size_t s = tri_slot (idx, old_keys[i]);
      idx->tri_keys[s] = old_keys[i];
      idx->tri_ids[s] = old_ids[i];
    }
  free (old_keys);
  free (old_ids);
}

static inline size_t
varint_len (uint32_t v)
{
  return (v < (1u << 7))    ? 1
         : (v < (1u << 14)) ? 2
         : (v < (1u << 21)) ? 3
         : (v < (1u << 28)) ? 4
                            : 5;
}

static inline uint8_t *
varint_put (uint8_t *p, uint32_t v)
{
  while (v >= 0x80)
  {
    *p++ = (uint8_t) (v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t) v;
  return p;
}

static inline uint32_t
load32 (const uint8_t *p)
{
  uint32_t v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
store32 (uint8_t *p, uint32_t v)
{
  memcpy (p, &v, sizeof v);
}

/* The block table entries of a LIST_BLOCKED list of COUNT postings. */
static inline uint32_t
list_skips (uint32_t count)
{
  return (count - 1) / LIST_BLOCK;
}

/* Bytes of the bitmap of a list over N names (whole 64-bit words). */
static inline size_t
bitmap_bytes (uint32_t names)
{
  return (((size_t) names + 63) / 64) * 8;
}

/* The distinct trigrams of name K (being built) into KEYS. */
static size_t
name_trigrams_of (const struct search_index_builder *b, uint32_t k,
                  uint64_t *keys)
{
  size_t got = text_trigrams (b->arena + b->name_off[k], b->name_len[k], keys,
                              SEARCH_MAX_NAME_TRIGRAMS);
  return sort_unique (keys, got);
}

struct search_index *
search_index_builder_finish (struct search_index_builder *b)
{
  struct search_index *idx = b->idx;
  uint32_t na = idx->agency_count;

  /* Names grouped by agency (a stable counting sort keeps each agency's
     names in the order they were added). */
  idx->agency_first_name = xcalloc ((size_t) na + 1, sizeof (uint32_t));
  for (size_t k = 0; k < b->name_count; k++)
    idx->agency_first_name[b->name_agency[k] + 1]++;
  for (uint32_t a = 0; a < na; a++)
    idx->agency_first_name[a + 1] += idx->agency_first_name[a];
  uint32_t nn = (uint32_t) b->name_count;
  idx->name_count = nn;
  idx->name_agency = xmalloc ((size_t) nn * sizeof *idx->name_agency);
  idx->name_trigrams = xmalloc ((size_t) nn * sizeof *idx->name_trigrams);
  uint32_t *name_off = xmalloc ((size_t) nn * sizeof *name_off);
  uint16_t *name_len = xmalloc ((size_t) nn * sizeof *name_len);
  uint32_t *fill = xmalloc (((size_t) na + 1) * sizeof *fill);
  memcpy (fill, idx->agency_first_name, ((size_t) na + 1) * sizeof *fill);
  for (size_t k = 0; k < nn; k++)
  {
    uint32_t at = fill[b->name_agency[k]]++;
    idx->name_agency[at] = b->name_agency[k];
    name_off[at] = b->name_off[k];
    name_len[at] = b->name_len[k];
  }
  free (fill);
  free (b->name_agency);
  free (b->name_off);
  free (b->name_len);
  b->name_agency = NULL;
  b->name_off = name_off;
  b->name_len = name_len;
  if (idx->summaries_len > 0)
    idx->summaries = xrealloc (idx->summaries, idx->summaries_len);
  if (NULL == idx->agency_summary)
    idx->agency_summary = xcalloc (1, sizeof *idx->agency_summary);

  /* Pass 1: intern every trigram, count each list's names and varint
     bytes. */
  uint64_t keys[SEARCH_MAX_NAME_TRIGRAMS];
  size_t counts_cap = 0;
  uint32_t *last = NULL;  /* the last name put on each list */
  uint64_t *bytes = NULL; /* varint bytes of each list */
  tri_grow (idx);
  for (uint32_t k = 0; k < nn; k++)
  {
    size_t n = name_trigrams_of (b, k, keys);
    idx->name_trigrams[k] = (uint16_t) n;
    for (size_t i = 0; i < n; i++)
    {
      size_t s = tri_slot (idx, keys[i]);
      if (0 == idx->tri_keys[s])
      {
        if (2 * ((size_t) idx->tri_count + 1) > idx->tri_cap)
        {
          tri_grow (idx);
          s = tri_slot (idx, keys[i]);
        }
        if (idx->tri_count == counts_cap)
        {
          counts_cap = 2 * counts_cap + 4096;
          idx->post_count
              = xrealloc (idx->post_count, counts_cap * sizeof (uint32_t));
          last = xrealloc (last, counts_cap * sizeof *last);
          bytes = xrealloc (bytes, counts_cap * sizeof *bytes);
        }
        idx->tri_keys[s] = keys[i];
        idx->tri_ids[s] = idx->tri_count;
        idx->post_count[idx->tri_count] = 0;
        bytes[idx->tri_count] = 0;
        idx->tri_count++;
      }
      uint32_t t = idx->tri_ids[s];
      uint32_t gap = (0 == idx->post_count[t]) ? k + 1 : k - last[t];
      bytes[t] += varint_len (gap);
      last[t] = k;
      idx->post_count[t]++;
    }
  }

  /* Pass 2: choose each list's form (varints, with their block table when
     longer than a block, or a bitmap), lay the lists out (tables and
     bitmaps aligned), and fill them. */
  uint32_t nt = idx->tri_count;
  idx->post_off = xmalloc (((size_t) nt + 1) * sizeof (uint32_t));
  idx->post_kind = xmalloc ((size_t) nt + 1);
  uint64_t total = 0;
  for (uint32_t t = 0; t < nt; t++)
  {
    uint32_t count = idx->post_count[t];
    uint64_t varints = bytes[t];
    uint8_t kind = LIST_VARINT;
    if (count > LIST_BLOCK)
    {
      kind = LIST_BLOCKED;
      varints += 8 * (uint64_t) list_skips (count);
    }
    if (bitmap_bytes (nn) <= BITMAP_FACTOR * varints)
    {
      kind = LIST_BITMAP;
      total = (total + 7) & ~(uint64_t) 7;
      varints = bitmap_bytes (nn);
    }
    else if (LIST_BLOCKED == kind)
      total = (total + 3) & ~(uint64_t) 3;
    idx->post_kind[t] = kind;
    idx->post_off[t] = (uint32_t) total;
    total += varints;
    idx->posting_total += count;
    if (total > UINT32_MAX)
      abort (); /* beyond 4 GB of postings: far past any registry */
  }
  free (bytes);
  idx->post_off[nt] = (uint32_t) total;
  idx->postings_len = (size_t) total;
  idx->postings = xcalloc ((size_t) total, 1);
  /* where the next varint of each list goes (bytes from its first), and
     how many postings it has so far */
  uint32_t *cursor = xcalloc ((size_t) nt + 1, sizeof *cursor);
  uint32_t *filled = xcalloc ((size_t) nt + 1, sizeof *filled);
  for (uint32_t k = 0; k < nn; k++)
  {
    size_t n = name_trigrams_of (b, k, keys);
    for (size_t i = 0; i < n; i++)
    {
      uint32_t t = idx->tri_ids[tri_slot (idx, keys[i])];
      uint8_t *list = idx->postings + idx->post_off[t];
      uint32_t seq = filled[t]++;
      if (LIST_BITMAP == idx->post_kind[t])
      {
        list[k >> 3] |= (uint8_t) (1u << (k & 7));
        continue;
      }
      uint8_t *data = list;
      if (LIST_BLOCKED == idx->post_kind[t])
      {
        uint32_t skips = list_skips (idx->post_count[t]);
        data = list + 8 * (size_t) skips;
        if (seq > 0 && 0 == seq % LIST_BLOCK)
        {
          uint32_t e = seq / LIST_BLOCK - 1;
          store32 (list + 4 * (size_t) e, last[t]);
          store32 (list + 4 * ((size_t) skips + e), cursor[t]);
        }
      }
      uint8_t *end
          = varint_put (data + cursor[t], (0 == seq) ? k + 1 : k - last[t]);
      cursor[t] = (uint32_t) (end - data);
      last[t] = k;
    }
  }
  for (uint32_t t = 0; t < nt; t++)
    if (LIST_BITMAP == idx->post_kind[t])
      idx->bitmap_lists++;
    else if (LIST_BLOCKED == idx->post_kind[t])
      idx->blocked_lists++;
  free (cursor);
  free (filled);
  free (last);
  free (b->name_off);
  free (b->name_len);
  free (b->arena);
  free (b);
  if (nt > 0)
    idx->post_count = xrealloc (idx->post_count, nt * sizeof (uint32_t));
  return idx;
}

void
search_index_free (struct search_index *idx)
{
  if (NULL == idx)
    return;
  free (idx->agency_id);
  free (idx->agency_country);
  free (idx->agency_good);
  free (idx->agency_first_name);
  free (idx->agency_summary);
  free (idx->summaries);
  free (idx->name_agency);
  free (idx->name_trigrams);
  free (idx->tri_keys);
  free (idx->tri_ids);
  free (idx->post_count);
  free (idx->post_off);
  free (idx->post_kind);
  free (idx->postings);
  free (idx);
}

void
search_index_stats (const struct search_index *idx,
                    struct search_index_stats *st)
{
  st->agencies = idx->agency_count;
  st->names = idx->name_count;
  st->trigrams = idx->tri_count;
  st->postings = idx->posting_total;
  st->bitmap_lists = idx->bitmap_lists;
  st->blocked_lists = idx->blocked_lists;
  st->bytes
      = sizeof *idx
        + (size_t) idx->agency_count
              * (sizeof (int64_t) + sizeof (uint16_t) + 1
                 + 2 * sizeof (uint32_t))
        + (size_t) idx->name_count * (sizeof (uint32_t) + sizeof (uint16_t))
        + idx->summaries_len
        + idx->tri_cap * (sizeof (uint64_t) + sizeof (uint32_t))
        + (size_t) idx->tri_count * (2 * sizeof (uint32_t) + 1)
        + idx->postings_len;
}

/* ---- searching ----
 *
 * The per-search state of a name is one 16-bit word of the thread's
 * scratch: the search that last touched it (a stamp, the high bits) and the
 * query trigrams counted for it then (the low bits), or a mark that it is
 * filtered out or already scored.  A name the search has not touched holds
 * an older stamp, so nothing is cleared between searches but once every
 * STAMP_MAX of them.
 */

#define COUNT_BITS 7
#define COUNT_MASK ((1u << COUNT_BITS) - 1)
#define STAMP_MAX ((1u << (16 - COUNT_BITS)) - 1)
/* counts above SEARCH_MAX_QUERY_TRIGRAMS: marks */
#define COUNT_SCORED (COUNT_MASK - 1) /* its agency has its exact score */
#define COUNT_DEAD COUNT_MASK         /* its agency is filtered out */

struct search_scratch
{
  uint16_t *seen;    /* per name, as above */
  uint32_t *touched; /* the names touched, in order */
  uint32_t *again;   /* those of them counted twice or more */
  uint32_t *order;   /* candidates by upper bound */
  uint32_t *spare;   /* room for sorting them */
  size_t cap;
  uint16_t stamp;
  uint64_t *buf;           /* trigrams of the query */
  struct qset dedup;       /* for query_trigrams */
  struct search_hit *heap; /* the page being made */
  size_t heap_cap;
};

struct search_scratch *
search_scratch_new (void)
{
  struct search_scratch *s = xcalloc (1, sizeof *s);
  s->buf = xmalloc (SEARCH_MAX_NAME_TRIGRAMS * sizeof *s->buf);
  return s;
}

void
search_scratch_free (struct search_scratch *s)
{
  if (NULL == s)
    return;
  free (s->seen);
  free (s->touched);
  free (s->again);
  free (s->order);
  free (s->spare);
  free (s->buf);
  free (s->heap);
  free (s);
}

/* Starts a search over NAMES names: a stamp no name's word holds yet.  The
   arrays are allocated for every name but only the part a search uses is
   ever touched (so resident). */
static uint16_t
scratch_begin (struct search_scratch *s, size_t names)
{
  if (s->cap < names || NULL == s->seen)
  {
    free (s->seen);
    free (s->touched);
    free (s->again);
    free (s->order);
    free (s->spare);
    s->cap = names + names / 8;
    s->seen = xcalloc (s->cap, sizeof *s->seen);
    s->touched = xmalloc (s->cap * sizeof *s->touched);
    s->again = xmalloc (s->cap * sizeof *s->again);
    s->order = xmalloc (s->cap * sizeof *s->order);
    s->spare = xmalloc (s->cap * sizeof *s->spare);
    s->stamp = 0;
  }
  if (STAMP_MAX == s->stamp)
  {
    memset (s->seen, 0, s->cap * sizeof *s->seen);
    s->stamp = 0;
  }
  return ++s->stamp;
}

/* Is (score A, id A) worse than (score B, id B) in the result order? */
static inline bool
worse (const struct search_hit *a, const struct search_hit *b)
{
  return a->score < b->score
         || (a->score == b->score && a->agency_id > b->agency_id);
}

/* A bounded heap with the worst hit at the top. */
static void
heap_push (struct search_hit *heap, size_t *size, size_t cap,
           struct search_hit hit)
{
  size_t i;
  if (*size < cap)
  {
    i = (*size)++;
    while (i > 0 && worse (&hit, &heap[(i - 1) / 2]))
    {
      heap[i] = heap[(i - 1) / 2];
      i = (i - 1) / 2;
    }
    heap[i] = hit;
    return;
  }
  if (!worse (&heap[0], &hit))
    return;
  i = 0;
  for (;;)
  {
    size_t l = 2 * i + 1;
    size_t r = l + 1;
    size_t w = i;
    const struct search_hit *wh = &hit;
    if (l < *size && worse (&heap[l], wh))
    {
      w = l;
      wh = &heap[l];
    }
    if (r < *size && worse (&heap[r], wh))
      w = r;
    if (w == i)
      break;
    heap[i] = heap[w];
    i = w;
  }
  heap[i] = hit;
}

static int
hit_cmp (const void *a, const void *b)
{
  const struct search_hit *x = a;
  const struct search_hit *y = b;
  if (worse (y, x))
    return -1;
  if (worse (x, y))
    return 1;
  return 0;
}

struct list_ref
{
  uint32_t count;
  uint32_t tri; /* UINT32_MAX: absent from the index */
};

static int
list_cmp (const void *a, const void *b)
{
  const struct list_ref *x = a;
  const struct list_ref *y = b;
  return (x->count > y->count) - (x->count < y->count);
}

/* The next delta of a posting list. */
static inline uint32_t
varint_next (const uint8_t **p)
{
  uint32_t v = 0;
  for (int shift = 0;; shift += 7)
  {
    uint8_t byte = *(*p)++;
    v |= (uint32_t) (byte & 0x7F) << shift;
    if (byte < 0x80)
      return v;
  }
}

/* The first varint of list T. */
static inline const uint8_t *
list_data (const struct search_index *idx, uint32_t t)
{
  const uint8_t *p = idx->postings + idx->post_off[t];
  if (LIST_BLOCKED == idx->post_kind[t])
    p += 8 * (size_t) list_skips (idx->post_count[t]);
  return p;
}

/* Is name K on list T? */
static bool
list_has (const struct search_index *idx, uint32_t t, uint32_t k)
{
  const uint8_t *p = idx->postings + idx->post_off[t];
  uint32_t count = idx->post_count[t];
  uint8_t kind = idx->post_kind[t];
  if (LIST_BITMAP == kind)
    return 0 != (p[k >> 3] & (1u << (k & 7)));
  uint32_t a = UINT32_MAX; /* so that the first gap (a + 1) lands on a */
  uint32_t left = count;
  if (LIST_BLOCKED == kind)
  {
    /* the blocks whose last name is before K: K can only be in the next */
    uint32_t skips = list_skips (count);
    uint32_t lo = 0;
    uint32_t hi = skips;
    while (lo < hi)
    {
      uint32_t mid = lo + (hi - lo) / 2;
      if (load32 (p + 4 * (size_t) mid) < k)
        lo = mid + 1;
      else
        hi = mid;
    }
    const uint8_t *data = p + 8 * (size_t) skips;
    left = LIST_BLOCK;
    if (lo > 0)
    {
      a = load32 (p + 4 * (size_t) (lo - 1));
      data += load32 (p + 4 * ((size_t) skips + lo - 1));
      if (count - lo * LIST_BLOCK < LIST_BLOCK)
        left = count - lo * LIST_BLOCK;
    }
    p = data;
  }
  for (; left > 0; left--)
  {
    a += varint_next (&p);
    if (a >= k)
      return a == k;
  }
  return false;
}

/* What the steps of a search cost, in postings read (a nanosecond or two
   each, measured over the benchmark registry): finding one name on a list
   by probing it (a bit of a bitmap; a binary search of a block table and
   half a block); scoring a candidate beyond its probes (its words, far
   apart in memory); walking a list alongside the sorted candidates, per
   candidate, and sorting them first. */
#define PROBE_BITMAP_POSTINGS 3
#define PROBE_BLOCKED_POSTINGS 20
#define SCORE_POSTINGS 30
#define WALK_POSTINGS 1
#define SORT_POSTINGS 2

/* What finding one name on list L costs, in postings read. */
static inline uint64_t
probe_cost (const struct search_index *idx, const struct list_ref *l)
{
  if (UINT32_MAX == l->tri)
    return 0;
  switch (idx->post_kind[l->tri])
  {
  case LIST_BITMAP:
    return PROBE_BITMAP_POSTINGS;
  case LIST_BLOCKED:
    return PROBE_BLOCKED_POSTINGS;
  default:
    return l->count / 2 + 1;
  }
}

/* While reading the rarest lists, the best candidates are scored (a
   checkpoint) after this many postings at the soonest, and then after
   twice as many as at the last one; only if the postings it may spare are
   this many times its probes. */
#define CHECKPOINT_POSTINGS 2048
#define CHECKPOINT_GAIN 2

/* One search: the query's lists, the names touched, the page being made. */
struct search
{
  const struct search_index *idx;
  uint16_t *seen;
  uint16_t mine; /* this search's stamp, shifted */
  uint16_t country;
  int standing;
  uint32_t n; /* query trigrams */
  struct list_ref lists[SEARCH_MAX_QUERY_TRIGRAMS];
  uint32_t *touched;
  size_t touched_count;
  uint32_t *again; /* the names touched counted twice or more */
  size_t again_count;
  /* the live candidates (touched, not filtered out nor scored) by count
     (any a word can hold): kept to choose the next step, never to decide a
     result */
  size_t hist[COUNT_MASK + 1];

  const struct search_after *after;
  struct search_hit *heap;
  size_t size;
  size_t cap;
};

static inline bool
filtered_out (const struct search *x, uint32_t k)
{
  uint32_t a = x->idx->name_agency[k];
  return (0 != x->country && x->idx->agency_country[a] != x->country)
         || (x->standing >= 0
             && x->idx->agency_good[a] != (uint8_t) x->standing);
}

/* Counts one more query trigram for name K if it is a live candidate. */
static inline void
count_one_more (struct search *x, uint32_t k)
{
  uint16_t w = x->seen[k];
  if ((w & ~COUNT_MASK) != x->mine)
    return;
  uint32_t c = w & COUNT_MASK;
  if (c >= COUNT_SCORED)
    return;
  x->hist[c]--;
  x->hist[c + 1]++;
  x->seen[k] = (uint16_t) (w + 1);
  if (1 == c)
    x->again[x->again_count++] = k;
}

/* Counts one more query trigram for name K, touching it (and checking the
   filter) the first time. */
static inline void
touch (struct search *x, uint32_t k, bool filtering)
{
  if ((x->seen[k] & ~COUNT_MASK) == x->mine)
  {
    count_one_more (x, k);
    return;
  }
  if (filtering && filtered_out (x, k))
  {
    x->seen[k] = (uint16_t) (x->mine | COUNT_DEAD);
    return;
  }
  x->seen[k] = (uint16_t) (x->mine | 1);
  x->hist[1]++;
  x->touched[x->touched_count++] = k;
}

/* Reads list R: with TOUCHING, touches every name on it; else counts it for
   the names already touched.  Inlined into its two callers, each with its
   constant TOUCHING, so the inner loops carry no test of it. */
static inline __attribute__ ((always_inline)) void
read_list (struct search *x, uint32_t r, bool touching)
{
  const struct list_ref *l = &x->lists[r];
  if (UINT32_MAX == l->tri)
    return;
  const struct search_index *idx = x->idx;
  bool filtering = 0 != x->country || x->standing >= 0;
  if (LIST_BITMAP == idx->post_kind[l->tri])
  {
    const uint8_t *p = idx->postings + idx->post_off[l->tri];
    size_t words = bitmap_bytes (idx->name_count) / 8;
    for (size_t i = 0; i < words; i++)
    {
      uint64_t bits;
      memcpy (&bits, p + 8 * i, sizeof bits);
      for (; 0 != bits; bits &= bits - 1)
      {
        uint32_t k = (uint32_t) (64 * i + (unsigned) __builtin_ctzll (bits));
        if (touching)
          touch (x, k, filtering);
        else
          count_one_more (x, k);
      }
    }
    return;
  }
  const uint8_t *p = list_data (idx, l->tri);
  uint32_t k = UINT32_MAX;
  for (uint32_t i = 0; i < l->count; i++)
  {
    k += varint_next (&p);
    if (touching)
      touch (x, k, filtering);
    else
      count_one_more (x, k);
  }
}

static void
read_touching (struct search *x, uint32_t r)
{
  read_list (x, r, true);
}

static void
read_counting (struct search *x, uint32_t r)
{
  read_list (x, r, false);
}

/* Sorts the N names in NAMES, all below LIMIT, by number: a radix sort,
   11 bits a pass, through SPARE. */
static void
sort_names (uint32_t *names, uint32_t *spare, size_t n, uint32_t limit)
{
  size_t counts[2048];
  for (uint32_t shift = 0; shift < 32 && 0 != (limit - 1) >> shift; shift += 11)
  {
    memset (counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++)
      counts[(names[i] >> shift) & 2047]++;
    size_t at = 0;
    for (size_t b = 0; b < 2048; b++)
    {
      size_t c = counts[b];
      counts[b] = at;
      at += c;
    }
    for (size_t i = 0; i < n; i++)
      spare[counts[(names[i] >> shift) & 2047]++] = names[i];
    memcpy (names, spare, n * sizeof *names);
  }
}

/* Counts list R for the names LIVE (N of them, ascending) by walking the
   list alongside them: a block none of them can be in is skipped through
   the block table, undecoded. */
static void
read_for (struct search *x, uint32_t r, const uint32_t *live, size_t n)
{
  const struct search_index *idx = x->idx;
  uint32_t t = x->lists[r].tri;
  if (UINT32_MAX == t || 0 == n)
    return;
  const uint8_t *p = idx->postings + idx->post_off[t];
  if (LIST_BITMAP == idx->post_kind[t])
  {
    for (size_t i = 0; i < n; i++)
      if (0 != (p[live[i] >> 3] & (1u << (live[i] & 7))))
        count_one_more (x, live[i]);
    return;
  }
  uint32_t count = idx->post_count[t];
  uint32_t skips = (LIST_BLOCKED == idx->post_kind[t]) ? list_skips (count) : 0;
  const uint8_t *data = p + 8 * (size_t) skips;
  const uint8_t *at = data;
  uint32_t block = 0;                               /* being decoded */
  uint32_t left = (skips > 0) ? LIST_BLOCK : count; /* postings in it */
  uint32_t a = UINT32_MAX; /* the last name decoded, once STARTED */
  bool started = false;
  for (size_t i = 0; i < n; i++)
  {
    uint32_t k = live[i];
    if (!started || a < k)
    {
      /* the first block whose last name is K or after */
      uint32_t b = block;
      while (b < skips && load32 (p + 4 * (size_t) b) < k)
        b++;
      if (b != block)
      {
        block = b;
        a = load32 (p + 4 * (size_t) (b - 1));
        at = data + load32 (p + 4 * ((size_t) skips + b - 1));
        left = (count - b * LIST_BLOCK < LIST_BLOCK) ? count - b * LIST_BLOCK
                                                     : LIST_BLOCK;
        started = true;
      }
      while (left > 0 && (!started || a < k))
      {
        a += varint_next (&at);
        left--;
        started = true;
      }
      if (!started || a < k)
        return; /* past the last name of the list */
    }
    if (a == k)
      count_one_more (x, k);
  }
}

/* The least score that can still enter the page (with the smaller id). */
static inline uint32_t
page_least (const struct search *x)
{
  if (x->size == x->cap && x->heap[0].score > SEARCH_SCORE_MIN)
    return x->heap[0].score;
  return SEARCH_SCORE_MIN;
}

/* The fewest query trigrams a name must have to enter the page: its score
   is at most 1,000,000 * trigrams / n, and must reach a match and, once
   the page is full, its worst hit. */
static uint32_t
page_need (const struct search *x)
{
  uint64_t least = page_least (x);
  return (uint32_t) ((least * x->n + SEARCH_SCORE_MAX - 1) / SEARCH_SCORE_MAX);
}

/* The exact number of query trigrams of name K, which has C of them on the
   lists before FROM, found by probing the lists from FROM on; 0 when it
   turns out fewer than NEED. */
static uint32_t
name_count_exact (const struct search *x, uint32_t k, uint32_t c, uint32_t from,
                  uint32_t need)
{
  for (uint32_t r = from; r < x->n; r++)
  {
    if (c + (x->n - r) < need)
      return 0;
    if (UINT32_MAX != x->lists[r].tri && list_has (x->idx, x->lists[r].tri, k))
      c++;
  }
  return (c >= need) ? c : 0;
}

/* Scores the agency of name K (a live candidate) exactly, the best of its
   names, counting the lists from FROM on by probing them, and keeps it if
   it belongs on the page; all its names are marked scored.  A name the
   search has not touched is on none of the lists read so far (or if some
   list before FROM was read only for the touched names, it cannot reach a
   match: see search_index_query); one whose count cannot reach the page
   scores below the page and so cannot be the best of a hit. */
static void
agency_score (struct search *x, uint32_t k, uint32_t from)
{
  const struct search_index *idx = x->idx;
  uint32_t need = page_need (x);
  /* the name first: most candidates fall short of the page, and then its
     agency need not be looked at (another of its names that could enter
     the page is a candidate of its own) */
  uint32_t c = x->seen[k] & COUNT_MASK;
  x->hist[c]--;
  x->seen[k] = (uint16_t) (x->mine | COUNT_SCORED);
  c = name_count_exact (x, k, c, from, need);
  uint32_t best = score_of (c, x->n, idx->name_trigrams[k]);
  if (best < page_least (x))
    return;
  uint32_t a = idx->name_agency[k];
  for (uint32_t m = idx->agency_first_name[a];
       m < idx->agency_first_name[a + 1]; m++)
  {
    uint16_t w = x->seen[m];
    c = 0;
    if ((w & ~COUNT_MASK) == x->mine)
    {
      c = w & COUNT_MASK;
      if (c >= COUNT_SCORED)
        continue;
      x->hist[c]--;
    }
    x->seen[m] = (uint16_t) (x->mine | COUNT_SCORED);
    c = name_count_exact (x, m, c, from, need);
    uint32_t s = score_of (c, x->n, idx->name_trigrams[m]);
    if (s > best)
      best = s;
  }
  struct search_hit hit = { idx->agency_id[a], best };
  const struct search_after *after = x->after;
  if (NULL != after && after->set
      && !(best < after->score
           || (best == after->score && hit.agency_id > after->agency_id)))
    return;
  heap_push (x->heap, &x->size, x->cap, hit);
}

/* Whether cap candidates at least have been found on half the lists read
   (J): a sign that the best of them score well. */
static bool
strong (const struct search *x, uint32_t j)
{
  size_t count = 0;
  for (uint32_t c = (j + 1) / 2; c <= j && count < x->cap; c++)
    count += x->hist[c];
  return j >= 4 && count >= x->cap;
}

/* Whether scoring the best candidates before list J (probing the lists
   from J on for each) costs less than the lists it may spare: those that
   could still bring a new candidate. */
static bool
checkpoint_pays (const struct search *x, uint32_t j)
{
  uint32_t need = page_need (x);
  uint64_t essential = 0;
  for (uint32_t r = j; r < x->n && x->n - r >= need; r++)
    essential += x->lists[r].count;
  uint64_t cost = 0;
  for (uint32_t r = j; r < x->n; r++)
    cost += probe_cost (x->idx, &x->lists[r]);
  return essential >= CHECKPOINT_GAIN * x->cap * cost;
}

/* The live candidates with at least LEAST query trigrams, into LIVE: from
   the NLIVE there if LISTED (they hold every live candidate), else from the
   names touched.  Returns how many. */
static size_t
live_list (const struct search *x, uint32_t *live, size_t nlive, bool listed,
           uint32_t least)
{
  const uint32_t *from = listed ? live : (least > 1) ? x->again : x->touched;
  size_t count = listed        ? nlive
                 : (least > 1) ? x->again_count
                               : x->touched_count;
  size_t kept = 0;
  for (size_t i = 0; i < count; i++)
  {
    uint32_t c = x->seen[from[i]] & COUNT_MASK;
    if (c < COUNT_SCORED && c >= least)
      live[kept++] = from[i];
  }
  return kept;
}

/* Scores exactly the agencies of the (about) cap touched names with the
   most query trigrams so far (HIST: the live names by count), counting the
   lists from FROM on by probing them: the page they make is the score any
   other candidate must reach. */
static void
score_best (struct search *x, const size_t *hist, uint32_t from)
{
  uint32_t least = x->n; /* all above it, and some of it, cap in all */
  size_t above = 0;
  while (least > 1 && above + hist[least] < x->cap)
    above += hist[least--];
  size_t at_least = x->cap - above;
  if (at_least > hist[least])
    at_least = hist[least];
  size_t wanted = above + at_least;
  const uint32_t *names = (least > 1) ? x->again : x->touched;
  size_t count = (least > 1) ? x->again_count : x->touched_count;
  for (size_t i = 0; i < count && wanted > 0; i++)
  {
    uint32_t k = names[i];
    uint32_t c = x->seen[k] & COUNT_MASK;
    if (c >= COUNT_SCORED || c < least || (c == least && 0 == at_least))
      continue;
    if (c == least)
      at_least--;
    wanted--;
    agency_score (x, k, from);
  }
}

size_t
search_index_query (const struct search_index *idx,
                    struct search_scratch *scratch, const char *folded,
                    size_t len, const struct search_filter *f,
                    const struct search_after *after, struct search_hit *hits,
                    size_t limit, bool *more)
{
  *more = false;
  if (0 == limit || 0 == idx->agency_count)
    return 0;
  uint64_t q[SEARCH_MAX_QUERY_TRIGRAMS];
  uint32_t n = (uint32_t) query_trigrams (folded, len, q, scratch->buf,
                                          &scratch->dedup);
  if (0 == n)
    return 0;

  struct search x;
  x.idx = idx;
  x.n = n;
  for (uint32_t i = 0; i < n; i++)
  {
    size_t s = tri_slot (idx, q[i]);
    x.lists[i].tri = (0 == idx->tri_keys[s]) ? UINT32_MAX : idx->tri_ids[s];
    x.lists[i].count
        = (UINT32_MAX == x.lists[i].tri) ? 0 : idx->post_count[x.lists[i].tri];
  }
  qsort (x.lists, n, sizeof *x.lists, list_cmp);
  x.country = (NULL != f) ? pack_country (f->country) : 0;
  x.standing = (NULL != f) ? f->standing : -1;
  x.mine = (uint16_t) (scratch_begin (scratch, idx->name_count) << COUNT_BITS);
  x.seen = scratch->seen;
  x.touched = scratch->touched;
  x.again = scratch->again;
  x.again_count = 0;
  x.touched_count = 0;
  memset (x.hist, 0, sizeof x.hist);
  if (scratch->heap_cap < limit + 1)
  {
    free (scratch->heap);
    scratch->heap_cap = limit + 1;
    scratch->heap = xmalloc (scratch->heap_cap * sizeof *scratch->heap);
  }
  x.after = after;
  x.heap = scratch->heap;
  x.size = 0;
  x.cap = limit + 1;

  /* Counting, rarest list first.  After j lists, a name not touched yet
     shares at most n - j trigrams with the query: once that is below the
     page (a match, or once full its worst hit), the remaining (most common,
     longest) lists can bring no new candidate, and only add to the counts
     of the names already touched. */
  uint32_t j = 0;
  uint64_t read = 0;
  uint64_t checkpoint = CHECKPOINT_POSTINGS;
  for (; j < n && n - j >= page_need (&x); j++)
  {
    /* Now and then, the best candidates so far are scored exactly: the
       page they make may be good enough that the lists left can bring no
       new candidate. */
    if (read >= checkpoint && strong (&x, j) && checkpoint_pays (&x, j))
    {
      score_best (&x, x.hist, j);
      checkpoint = 2 * read;
      if (n - j < page_need (&x))
        break;
    }
    read_touching (&x, j);
    read += x.lists[j].count;
  }

  /* The page, first from the candidates with the most trigrams: the worst
     hit it keeps is the score that any other candidate must reach. */
  score_best (&x, x.hist, j);

  /* The common lists left, each read for the names touched or walked
     alongside the candidates (whichever costs less), each making the
     candidates' bounds exact by one trigram, so that those at the least
     count it does not have drop out; until scoring every candidate now,
     probing the lists left for each, costs less than this list and
     scoring the candidates left after it. */
  uint64_t probe = 0; /* probing every list left for one name */
  for (uint32_t r = j; r < n; r++)
    probe += probe_cost (idx, &x.lists[r]);
  uint32_t *live = scratch->order;
  size_t nlive = 0;
  bool listed = false; /* live holds every candidate, in ascending order */
  for (; j < n; j++)
  {
    uint32_t need = page_need (&x);
    uint32_t least = (need > n - j) ? need - (n - j) : 1;
    size_t count = 0;
    for (uint32_t c = least; c <= n; c++)
      count += x.hist[c];
    uint64_t here = probe_cost (idx, &x.lists[j]);
    uint64_t now = (uint64_t) count * (SCORE_POSTINGS + probe);
    uint64_t walk = (uint64_t) count * WALK_POSTINGS
                    + ((listed) ? 0 : (uint64_t) count * SORT_POSTINGS);
    if (UINT32_MAX != x.lists[j].tri
        && LIST_BITMAP != idx->post_kind[x.lists[j].tri])
    {
      uint64_t decoded = (uint64_t) count * (LIST_BLOCK / 2);
      walk += ((decoded < x.lists[j].count) ? decoded : x.lists[j].count) / 2;
    }
    uint64_t step = (walk < x.lists[j].count) ? walk : x.lists[j].count;
    uint64_t later
        = (uint64_t) (count - x.hist[least]) * (SCORE_POSTINGS + probe - here);
    if (now <= step + later)
      break;
    probe -= here;
    if (UINT32_MAX == x.lists[j].tri)
      continue;
    if (walk >= x.lists[j].count)
    {
      read_counting (&x, j);
      continue;
    }
    nlive = live_list (&x, live, nlive, listed, least);
    if (!listed)
      sort_names (live, scratch->spare, nlive, idx->name_count);
    listed = true;
    read_for (&x, j, live, nlive);
  }

  /* The candidates by upper bound (the query trigrams their names have on
     the lists read, and every list unread: exact if none is), best first:
     a counting sort of those whose bound can enter the page; exact scores
     until no bound can. */
  uint32_t unread = n - j;
  uint32_t need = page_need (&x);
  nlive = live_list (&x, live, nlive, listed,
                     (need > unread) ? need - unread : 1);
  size_t start[SEARCH_MAX_QUERY_TRIGRAMS + 2];
  memset (start, 0, sizeof start);
  for (size_t i = 0; i < nlive; i++)
    start[n - (x.seen[live[i]] & COUNT_MASK) + 1]++;
  for (uint32_t u = 1; u <= n + 1; u++)
    start[u] += start[u - 1];
  uint32_t *sorted = x.touched; /* done with: reused */
  for (size_t i = 0; i < nlive; i++)
    sorted[start[n - (x.seen[live[i]] & COUNT_MASK)]++] = live[i];
  for (size_t i = 0; i < nlive; i++)
  {
    uint32_t k = sorted[i];
    uint32_t c = x.seen[k] & COUNT_MASK;
    if (c >= COUNT_SCORED)
      continue;
    if (c + unread < page_need (&x))
      break;
    /* the bound with the name's own length: a long name scores less */
    uint32_t t = idx->name_trigrams[k];
    uint32_t most = (c + unread < t) ? c + unread : t;
    if (score_of (most, n, t) < page_least (&x))
      continue;
    agency_score (&x, k, j);
  }
  qsort (x.heap, x.size, sizeof *x.heap, hit_cmp);
  size_t size = x.size;
  if (size > limit)
  {
    *more = true;
    size = limit;
  }
  memcpy (hits, x.heap, size * sizeof *hits);
  return size;
}

/* ---- the live index of the server ----
 *
 * One builder thread keeps one connection to the read database as
 * fairreg_public.  It wakes when the cache's listener heard a change, when a
 * search found the index older than its request's version (cache_poke), or
 * every IDLE_CHECK_MS, opens a REPEATABLE READ snapshot and reads the
 * register version in it.  If the live index is of that version, nothing is
 * done.  Otherwise the live index is dropped at once (no request can use it
 * any more, and keeping it would double the peak memory of the rebuild) and
 * a new one is read from that same snapshot and labelled with that version,
 * exactly.
 */

#define BUILD_RETRY_MS 1000
#define IDLE_CHECK_MS 1000

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct search_index *live_index;
static struct fold_map *live_fold;
/* maps an index may still point to, freed at stop */
static struct fold_map *retired_folds[8];
static unsigned retired_count;
static pthread_t builder_thread;
static bool builder_running;
static atomic_bool builder_stopping;
/* The builder's connection's cancel handle, so that stopping the server does
   not wait for a long read (the fold map, a large register) to finish. */
static pthread_mutex_t builder_cancel_lock = PTHREAD_MUTEX_INITIALIZER;
static PGcancel *builder_cancel;

/* Makes PG (NULL: none) the connection search_index_stop() cancels. */
static void
builder_set_connection (PGconn *pg)
{
  pthread_mutex_lock (&builder_cancel_lock);
  PQfreeCancel (builder_cancel);
  builder_cancel = (NULL != pg) ? PQgetCancel (pg) : NULL;
  pthread_mutex_unlock (&builder_cancel_lock);
}

static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static pthread_key_t scratch_key;

static void
scratch_destroy (void *p)
{
  search_scratch_free (p);
}

static void
scratch_key_make (void)
{
  if (0 != pthread_key_create (&scratch_key, scratch_destroy))
    abort ();
}

struct search_scratch *
search_thread_scratch (void)
{
  pthread_once (&scratch_once, scratch_key_make);
  struct search_scratch *s = pthread_getspecific (scratch_key);
  if (NULL == s)
  {
    s = search_scratch_new ();
    pthread_setspecific (scratch_key, s);
  }
  return s;
}

static void
index_unref (struct search_index *idx)
{
  if (NULL != idx && 1 == atomic_fetch_sub (&idx->refs, 1))
    search_index_free (idx);
}

const struct search_index *
search_index_acquire (const struct cache_version *now)
{
  pthread_mutex_lock (&live_lock);
  struct search_index *idx = live_index;
  if (NULL != idx && cache_version_covers (&idx->version, now))
    atomic_fetch_add (&idx->refs, 1);
  else
    idx = NULL;
  pthread_mutex_unlock (&live_lock);
  if (NULL == idx)
    cache_poke (); /* the rebuilder checks at once (if it is not building) */
  return idx;
}

void
search_index_release (const struct search_index *idx)
{
  index_unref ((struct search_index *) idx);
}

size_t
search_index_fold (const struct search_index *idx, const char *text, size_t len,
                   char *out, size_t out_size)
{
  size_t need = fold_utf8 (idx->fold, text, len, out, out_size);
  return (need < out_size) ? need : (size_t) -1;
}

/* Replaces the live index with IDX (NULL: none). */
static void
publish (struct search_index *idx)
{
  pthread_mutex_lock (&live_lock);
  struct search_index *old = live_index;
  live_index = idx;
  pthread_mutex_unlock (&live_lock);
  index_unref (old);
}

static PGconn *
builder_connect (void)
{
  const char *const keys[]
      = { "dbname", "connect_timeout", "application_name", NULL };
  const char *const values[]
      = { config.read_database_url, "5", "fairreg-search-index", NULL };
  PGconn *pg = PQconnectdbParams (keys, values, 1);
  if (NULL == pg || CONNECTION_OK != PQstatus (pg))
  {
    PQfinish (pg);
    return NULL;
  }
  /* UTC, as the request connections: "today" decides standings. */
  PGresult *res = PQexec (pg, "SET ROLE fairreg_public; SET TIME ZONE 'UTC';"
                              " SET statement_timeout = 0;"
                              " SET default_transaction_read_only = on");
  bool ok = PGRES_COMMAND_OK == PQresultStatus (res);
  PQclear (res);
  if (!ok)
  {
    PQfinish (pg);
    return NULL;
  }
  return pg;
}

/* Splits one row of COPY's text format in place into at most MAX fields;
   \N becomes NULL.  Returns the field count. */
static int
copy_fields (char *row, int len, char **fields, int max)
{
  if (len > 0 && '\n' == row[len - 1])
    len--;
  row[len] = '\0';
  int count = 0;
  char *field = row;
  char *out = row;
  for (int i = 0; i <= len; i++)
  {
    char c = row[i];
    if ('\t' == c || '\0' == c)
    {
      *out++ = '\0';
      if (count < max)
        fields[count++] = (0 == strcmp (field, "\\N")) ? NULL : field;
      field = out;
      continue;
    }
    if ('\\' == c && i + 1 < len)
    {
      char e = row[++i];
      *out++ = ('n' == e)   ? '\n'
               : ('t' == e) ? '\t'
               : ('r' == e) ? '\r'
               : ('b' == e) ? '\b'
               : ('f' == e) ? '\f'
               : ('v' == e) ? '\v'
               : ('N' == e) ? (i--, '\\')
                            : e;
      continue;
    }
    *out++ = c;
  }
  return count;
}

struct load
{
  struct search_index_builder *b;
  const struct fold_map *fold;
  size_t rows;
  size_t fold_mismatches;
  char *buf;
  size_t buf_size;
};

/* Checks the C fold against the database's on one name. */
static void
check_fold (struct load *l, const char *raw, const char *folded)
{
  size_t len = strlen (raw);
  for (;;)
  {
    size_t need = fold_utf8 (l->fold, raw, len, l->buf, l->buf_size);
    if (need < l->buf_size)
    {
      if (0 != strcmp (l->buf, folded))
        l->fold_mismatches++;
      return;
    }
    l->buf_size = 2 * need + 64;
    l->buf = xrealloc (l->buf, l->buf_size);
  }
}

/* Runs COPY SQL and hands each row to the loader.  AGENCIES says which kind
   of rows: (id, country, in_good_standing, name, folded) or (agency_id,
   name, folded). */
static bool
copy_rows (PGconn *pg, const char *sql, bool agencies, struct load *l)
{
  PGresult *res = PQexec (pg, sql);
  bool ok = PGRES_COPY_OUT == PQresultStatus (res);
  PQclear (res);
  if (!ok)
    return false;
  char *row;
  int len;
  while ((len = PQgetCopyData (pg, &row, 0)) > 0)
  {
    char *f[6];
    int n = copy_fields (row, len, f, 6);
    if (agencies && 6 == n && NULL != f[0] && NULL != f[3] && NULL != f[4]
        && NULL != f[5])
    {
      int64_t id = strtoll (f[0], NULL, 10);
      ok = ok
           && search_index_builder_add_agency (
               l->b, id, (NULL != f[1]) ? f[1] : "",
               NULL != f[2] && 't' == f[2][0], f[5], strlen (f[5]));
      ok = ok && search_index_builder_add_name (l->b, id, f[4], strlen (f[4]));
      check_fold (l, f[3], f[4]);
    }
    else if (!agencies && 3 == n && NULL != f[0] && NULL != f[1]
             && NULL != f[2])
    {
      /* an agency outside pub_agency cannot happen in one snapshot */
      search_index_builder_add_name (l->b, strtoll (f[0], NULL, 10), f[2],
                                     strlen (f[2]));
      check_fold (l, f[1], f[2]);
    }
    else
      ok = false;
    l->rows++;
    PQfreemem (row);
  }
  res = PQgetResult (pg);
  ok = ok && -1 == len && PGRES_COMMAND_OK == PQresultStatus (res);
  PQclear (res);
  while (NULL != (res = PQgetResult (pg)))
    PQclear (res);
  return ok;
}

static bool
exec_command (PGconn *pg, const char *sql)
{
  PGresult *res = PQexec (pg, sql);
  bool ok = PGRES_COMMAND_OK == PQresultStatus (res);
  PQclear (res);
  return ok;
}

/* Reads the whole index in the snapshot that snapshot_begin opened, and
   ends it.  NULL on a database failure; *MISMATCHES counts names whose C
   fold differs from fr_fold. */
static struct search_index *
load_index (PGconn *pg, const struct fold_map *fold, size_t *mismatches,
            size_t *rows)
{
  struct load l = { search_index_builder_new (), fold, 0, 0, NULL, 0 };
  bool ok = copy_rows (pg,
                       "COPY (SELECT a.id, a.country, a.in_good_standing,"
                       " a.name, fr_fold(a.name), " DB_AGENCY_SUMMARY_SQL
                       " FROM pub_agency AS a ORDER BY a.id) TO STDOUT",
                       true, &l)
            && copy_rows (pg,
                          "COPY (SELECT agency_id, name, fr_fold(name)"
                          " FROM pub_agency_name) TO STDOUT",
                          false, &l)
            && exec_command (pg, "COMMIT");
  free (l.buf);
  *mismatches = l.fold_mismatches;
  *rows = l.rows;
  struct search_index *idx = search_index_builder_finish (l.b);
  if (!ok)
  {
    if (PQTRANS_IDLE != PQtransactionStatus (pg))
      exec_command (pg, "ROLLBACK");
    search_index_free (idx);
    return NULL;
  }
  idx->fold = fold;
  return idx;
}

/* Opens a REPEATABLE READ snapshot on PG and reads the register version
   in it, exactly the version of everything read in it after.  False on a
   database failure (no transaction is left open). */
static bool
snapshot_begin (PGconn *pg, struct cache_version *v)
{
  if (!exec_command (pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    return false;
  PGresult *res = PQexec (pg, "SELECT version, current_date - DATE '2000-01-01'"
                              " FROM pub_register_version");
  bool ok = PGRES_TUPLES_OK == PQresultStatus (res) && 1 == PQntuples (res);
  if (ok)
  {
    v->version = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    v->day = (int32_t) strtol (PQgetvalue (res, 0, 1), NULL, 10);
  }
  PQclear (res);
  if (!ok && PQTRANS_IDLE != PQtransactionStatus (pg))
    exec_command (pg, "ROLLBACK");
  return ok;
}

static double
elapsed_ms (const struct timespec *since)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return (double) (now.tv_sec - since->tv_sec) * 1e3
         + (double) (now.tv_nsec - since->tv_nsec) / 1e6;
}

/* Sleeps MS milliseconds in small steps, unless stopping. */
static void
builder_sleep (unsigned ms)
{
  for (unsigned slept = 0; slept < ms && !atomic_load (&builder_stopping);
       slept += 20)
    usleep (20 * 1000);
}

static void *
builder_main (void *cls)
{
  (void) cls;
  PGconn *pg = NULL;
  bool said_failed = false;
  bool wait = false;
  uint64_t heard = cache_changes_heard ();
  while (!atomic_load (&builder_stopping))
  {
    if (wait)
      cache_changes_wait (heard, IDLE_CHECK_MS);
    wait = false;
    heard = cache_changes_heard ();
    if (NULL == pg || CONNECTION_OK != PQstatus (pg))
    {
      builder_set_connection (NULL);
      PQfinish (pg);
      pg = builder_connect ();
      builder_set_connection (pg);
      if (atomic_load (&builder_stopping))
        break; /* stopped while connecting: the cancel missed this one */
    }
    if (NULL != pg && NULL == live_fold)
    {
      char why[256];
      live_fold = fold_map_load (pg, why, sizeof why);
      if (NULL == live_fold && !said_failed)
        log_event ("warning", "search index: %s", why);
    }
    struct cache_version version;
    if (NULL == pg || NULL == live_fold || !snapshot_begin (pg, &version))
    {
      if (!said_failed)
        log_event ("warning", "search index: cannot read the register; "
                              "searches go to the database");
      said_failed = true;
      PQfinish (pg);
      pg = NULL;
      builder_sleep (BUILD_RETRY_MS);
      continue;
    }
    pthread_mutex_lock (&live_lock);
    bool current = NULL != live_index
                   && live_index->version.version == version.version
                   && live_index->version.day == version.day;
    pthread_mutex_unlock (&live_lock);
    if (current)
    {
      exec_command (pg, "ROLLBACK");
      wait = true;
      continue;
    }
    publish (NULL); /* older than the register: no request may use it */

    struct timespec started;
    clock_gettime (CLOCK_MONOTONIC, &started);
    size_t mismatches = 0;
    size_t rows = 0;
    struct search_index *idx = load_index (pg, live_fold, &mismatches, &rows);
    if (NULL == idx)
    {
      if (!said_failed)
        log_event ("warning", "search index: reading the register failed; "
                              "searches go to the database");
      said_failed = true;
      PQfinish (pg);
      pg = NULL;
      builder_sleep (BUILD_RETRY_MS);
      continue;
    }
    said_failed = false;
    if (0 != mismatches)
    {
      /* fr_fold changed (new unaccent rules?): read the map again and
         rebuild; never search with a fold that disagrees. */
      log_event ("warning",
                 "search index: %zu of %zu names fold differently in C than "
                 "with fr_fold; reloading the fold map",
                 mismatches, rows);
      search_index_free (idx);
      if (retired_count < sizeof retired_folds / sizeof retired_folds[0])
        retired_folds[retired_count++] = live_fold;
      else
        fold_map_free (live_fold); /* no index uses it: none went live */
      live_fold = NULL;
      builder_sleep (BUILD_RETRY_MS);
      continue;
    }
    idx->version = version; /* read in the snapshot its data came from */
    struct search_index_stats st;
    search_index_stats (idx, &st);
    publish (idx);
    log_event ("info",
               "search index: %zu agencies, %zu names, %zu trigrams, %zu "
               "postings, %.1f MB, built in %.0f ms (register version %lld)",
               st.agencies, st.names, st.trigrams, st.postings,
               (double) st.bytes / (1024.0 * 1024.0), elapsed_ms (&started),
               (long long) version.version);
  }
  builder_set_connection (NULL);
  PQfinish (pg);
  return NULL;
}

int
search_index_start (void)
{
  atomic_store (&builder_stopping, false);
  if (0 != pthread_create (&builder_thread, NULL, builder_main, NULL))
    return -1;
  builder_running = true;
  return 0;
}

void
search_index_stop (void)
{
  if (builder_running)
  {
    atomic_store (&builder_stopping, true);
    cache_poke (); /* out of cache_changes_wait */
    pthread_mutex_lock (&builder_cancel_lock);
    char ignored[256];
    if (NULL != builder_cancel)
      (void) PQcancel (builder_cancel, ignored, sizeof ignored);
    pthread_mutex_unlock (&builder_cancel_lock);
    pthread_join (builder_thread, NULL);
    builder_running = false;
  }
  publish (NULL);
  fold_map_free (live_fold);
  live_fold = NULL;
  for (unsigned i = 0; i < retired_count; i++)
    fold_map_free (retired_folds[i]);
  retired_count = 0;
}

void
search_score_text (uint32_t score, char *out, size_t size)
{
  snprintf (out, size, "%u.%06u", score / SEARCH_SCORE_MAX,
            score % SEARCH_SCORE_MAX);
}

#define PAGE_MAX 128

json_t *
search_index_page (const char *q, const char *country, int standing,
                   const char *after_score, int64_t after_id, unsigned limit,
                   const struct cache_version *now, bool *more,
                   char *last_score, int64_t *last_id)
{
  if (limit > PAGE_MAX || NULL == now)
    return NULL;
  const struct search_index *idx = search_index_acquire (now);
  if (NULL == idx)
    return NULL;
  char folded[1024];
  size_t len = search_index_fold (idx, q, strlen (q), folded, sizeof folded);
  json_t *items = NULL;
  char *text = NULL;
  if ((size_t) -1 == len)
    goto cleanup;
  struct search_filter f = { "", standing };
  if (NULL != country)
    snprintf (f.country, sizeof f.country, "%s", country);
  struct search_after after = { false, 0, 0 };
  if (NULL != after_score)
  {
    double x = strtod (after_score, NULL);
    after.set = true;
    after.score = (uint32_t) llround (x * SEARCH_SCORE_MAX);
    after.agency_id = after_id;
  }
  struct search_hit hits[PAGE_MAX];
  size_t n = search_index_query (idx, search_thread_scratch (), folded, len, &f,
                                 &after, hits, limit, more);
  /* The summaries as one JSON text, parsed once. */
  size_t total = 2;
  for (size_t i = 0; i < n; i++)
  {
    size_t slen = 0;
    if (NULL == search_index_summary (idx, hits[i].agency_id, &slen))
      goto cleanup; /* an index made without summaries (tests) */
    total += slen + 1;
  }
  text = xmalloc (total);
  size_t used = 0;
  text[used++] = '[';
  for (size_t i = 0; i < n; i++)
  {
    size_t slen = 0;
    const char *summary = search_index_summary (idx, hits[i].agency_id, &slen);
    if (i > 0)
      text[used++] = ',';
    memcpy (text + used, summary, slen);
    used += slen;
  }
  text[used++] = ']';
  items = json_loadb (text, used, 0, NULL);
  if (n > 0)
  {
    search_score_text (hits[n - 1].score, last_score, 16);
    *last_id = hits[n - 1].agency_id;
  }
cleanup:
  free (text);
  search_index_release (idx);
  return items;
}
