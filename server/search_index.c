/*
 * The in-process name search (see search_index.h for what it answers and how
 * it scores).
 *
 * Layout, compact because it must fit the whole server in 128 MB on a
 * 100k-agency registry: agencies are numbered 0..n-1 in id order and their
 * names are contiguous per agency; folded names live in one string arena; a
 * trigram (three code points, 21 bits each, packed into 64 bits) maps
 * through an open-addressing table to a posting list of the agencies having
 * it, as delta-coded LEB128 varints (one or two bytes a posting).
 *
 * A search takes the query's distinct trigrams, rarest first, and counts
 * for every agency on their lists how many of them it has.  After j lists,
 * an agency not yet seen shares at most n - j of the query's n trigrams, so
 * its score is at most 1,000,000 * (n - j) / n; once that falls below a
 * match, no list can bring a new candidate.  The candidates with the most
 * trigrams are then scored exactly (re-deriving their names' trigrams from
 * the arena) to fill the page, whose worst hit is the score every other
 * candidate must reach.  The common lists left (" co", "ny ": the longest
 * by far, most of the postings of a query over a million agencies) are read
 * only while more candidates could reach it than scoring them would cost;
 * the rest are scored on the bound that counts every unread list as shared,
 * best bound first, until no bound can enter the page.  The per-search
 * working memory is a thread's (search_scratch), one word per agency.
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

  uint32_t name_count;
  uint32_t *name_off; /* into arena */
  uint16_t *name_len;
  uint16_t *name_trigrams; /* distinct trigrams of the name */
  char *arena;
  size_t arena_len;

  /* trigram -> list: open addressing over trigram keys */
  uint64_t *tri_keys; /* 0: empty */
  uint32_t *tri_ids;
  size_t tri_cap; /* a power of two */
  uint32_t tri_count;
  uint32_t *post_count; /* agencies on each list */
  uint32_t *post_off;   /* tri_count + 1 byte offsets */
  uint8_t *postings;
  size_t posting_total;
};

struct search_index_builder
{
  struct search_index *idx;
  size_t agency_cap;
  /* names as added: agency index, offset, length */
  uint32_t *name_agency;
  uint32_t *name_off;
  uint16_t *name_len;
  size_t name_count;
  size_t name_cap;
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
  if (idx->arena_len + len > UINT32_MAX)
    return false;
  if (b->name_count == b->name_cap)
  {
    b->name_cap = 2 * b->name_cap + 1024;
    b->name_agency
        = xrealloc (b->name_agency, b->name_cap * sizeof *b->name_agency);
    b->name_off = xrealloc (b->name_off, b->name_cap * sizeof *b->name_off);
    b->name_len = xrealloc (b->name_len, b->name_cap * sizeof *b->name_len);
  }
  if (idx->arena_len + len > b->arena_cap)
  {
    b->arena_cap = 2 * (b->arena_cap + len) + 4096;
    idx->arena = xrealloc (idx->arena, b->arena_cap);
  }
  memcpy (idx->arena + idx->arena_len, folded, len);
  b->name_agency[b->name_count] = a;
  b->name_off[b->name_count] = (uint32_t) idx->arena_len;
  b->name_len[b->name_count] = (uint16_t) len;
  b->name_count++;
  idx->arena_len += len;
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

/* The distinct trigrams of agency A's names into *KEYS (grown as needed);
   with NAME_TRIGRAMS set, also stores each name's distinct count. */
static size_t
agency_trigrams (struct search_index *idx, uint32_t a, uint64_t **keys,
                 size_t *cap, bool count_names)
{
  size_t n = 0;
  for (uint32_t k = idx->agency_first_name[a];
       k < idx->agency_first_name[a + 1]; k++)
  {
    if (n + SEARCH_MAX_NAME_TRIGRAMS > *cap)
    {
      *cap = 2 * (n + SEARCH_MAX_NAME_TRIGRAMS);
      *keys = xrealloc (*keys, *cap * sizeof **keys);
    }
    size_t got = text_trigrams (idx->arena + idx->name_off[k], idx->name_len[k],
                                *keys + n, SEARCH_MAX_NAME_TRIGRAMS);
    got = sort_unique (*keys + n, got);
    if (count_names)
      idx->name_trigrams[k] = (uint16_t) got;
    n += got;
  }
  return sort_unique (*keys, n);
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
  idx->name_count = (uint32_t) b->name_count;
  idx->name_off = xmalloc (b->name_count * sizeof *idx->name_off);
  idx->name_len = xmalloc (b->name_count * sizeof *idx->name_len);
  idx->name_trigrams = xmalloc (b->name_count * sizeof *idx->name_trigrams);
  uint32_t *fill = xmalloc (((size_t) na + 1) * sizeof *fill);
  memcpy (fill, idx->agency_first_name, ((size_t) na + 1) * sizeof *fill);
  for (size_t k = 0; k < b->name_count; k++)
  {
    uint32_t at = fill[b->name_agency[k]]++;
    idx->name_off[at] = b->name_off[k];
    idx->name_len[at] = b->name_len[k];
  }
  free (fill);
  free (b->name_agency);
  free (b->name_off);
  free (b->name_len);
  free (b);
  if (idx->arena_len > 0)
    idx->arena = xrealloc (idx->arena, idx->arena_len);
  if (idx->summaries_len > 0)
    idx->summaries = xrealloc (idx->summaries, idx->summaries_len);
  if (NULL == idx->agency_summary)
    idx->agency_summary = xcalloc (1, sizeof *idx->agency_summary);

  /* Pass 1: intern every trigram, count each list's agencies and bytes. */
  uint64_t *keys = NULL;
  size_t keys_cap = 0;
  size_t counts_cap = 0;
  uint32_t *last = NULL;  /* the last agency put on each list */
  uint64_t *bytes = NULL; /* bytes of each list */
  tri_grow (idx);
  for (uint32_t a = 0; a < na; a++)
  {
    size_t n = agency_trigrams (idx, a, &keys, &keys_cap, true);
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
      uint32_t gap = (0 == idx->post_count[t]) ? a + 1 : a - last[t];
      bytes[t] += varint_len (gap);
      last[t] = a;
      idx->post_count[t]++;
    }
  }

  /* Pass 2: lay the lists out and fill them. */
  idx->post_off = xmalloc (((size_t) idx->tri_count + 1) * sizeof (uint32_t));
  uint64_t total = 0;
  for (uint32_t t = 0; t < idx->tri_count; t++)
  {
    idx->post_off[t] = (uint32_t) total;
    total += bytes[t];
    idx->posting_total += idx->post_count[t];
  }
  free (bytes);
  if (total > UINT32_MAX)
    abort (); /* beyond 4 GB of postings: far past any registry */
  idx->post_off[idx->tri_count] = (uint32_t) total;
  idx->postings = xmalloc ((size_t) total);
  uint32_t *cursor = xmalloc (((size_t) idx->tri_count + 1) * sizeof *cursor);
  memcpy (cursor, idx->post_off,
          ((size_t) idx->tri_count + 1) * sizeof *cursor);
  for (uint32_t a = 0; a < na; a++)
  {
    size_t n = agency_trigrams (idx, a, &keys, &keys_cap, false);
    for (size_t i = 0; i < n; i++)
    {
      uint32_t t = idx->tri_ids[tri_slot (idx, keys[i])];
      bool first = cursor[t] == idx->post_off[t];
      uint8_t *at = idx->postings + cursor[t];
      uint8_t *end = varint_put (at, first ? a + 1 : a - last[t]);
      cursor[t] += (uint32_t) (end - at);
      last[t] = a;
    }
  }
  free (cursor);
  free (keys);
  free (last);
  if (idx->tri_count > 0)
    idx->post_count
        = xrealloc (idx->post_count, idx->tri_count * sizeof (uint32_t));
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
  free (idx->name_off);
  free (idx->name_len);
  free (idx->name_trigrams);
  free (idx->arena);
  free (idx->tri_keys);
  free (idx->tri_ids);
  free (idx->post_count);
  free (idx->post_off);
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
  st->bytes
      = sizeof *idx
        + (size_t) idx->agency_count
              * (sizeof (int64_t) + sizeof (uint16_t) + 1 + sizeof (uint32_t))
        + (size_t) idx->name_count * (sizeof (uint32_t) + 2 * sizeof (uint16_t))
        + idx->arena_len + idx->summaries_len
        + (size_t) idx->agency_count * sizeof (uint32_t)
        + idx->tri_cap * (sizeof (uint64_t) + sizeof (uint32_t))
        + (size_t) idx->tri_count * 2 * sizeof (uint32_t)
        + (NULL != idx->post_off ? idx->post_off[idx->tri_count] : 0);
}

/* ---- searching ---- */

struct search_scratch
{
  /* per agency, in one word so that a posting costs one memory access:
     the search that last touched it (STAMP_SHIFT and up) and the query
     trigrams counted for it then (the low byte) */
  uint32_t *seen;
  uint32_t *touched; /* the agencies touched, in order */
  uint32_t *order;   /* the same, by upper bound */
  size_t cap;
  uint32_t stamp;
  uint64_t *buf;           /* trigrams of one name */
  struct qset query;       /* the query's trigrams */
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
  free (s->order);
  free (s->buf);
  free (s->heap);
  free (s);
}

#define STAMP_SHIFT 8
#define STAMP_MAX (UINT32_MAX >> STAMP_SHIFT)

/* The count part of a seen word. */
static inline uint8_t
seen_count (uint32_t word)
{
  return (uint8_t) (word & 0xFFu);
}

/* Starts a search: a stamp no agency's seen word holds yet. */
static uint32_t
scratch_begin (struct search_scratch *s, size_t agencies)
{
  if (s->cap < agencies)
  {
    free (s->seen);
    free (s->touched);
    free (s->order);
    s->cap = agencies + agencies / 8;
    s->seen = xcalloc (s->cap, sizeof *s->seen);
    s->touched = xmalloc (s->cap * sizeof *s->touched);
    s->order = xmalloc (s->cap * sizeof *s->order);
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

/* The exact score of agency A: the best of its names. */
static uint32_t
agency_score (const struct search_index *idx, uint32_t a, struct qset *set,
              uint32_t *name_stamp, uint32_t n, uint64_t *buf)
{
  uint32_t best = 0;
  for (uint32_t m = idx->agency_first_name[a];
       m < idx->agency_first_name[a + 1]; m++)
  {
    uint32_t c = qset_shared (set, ++*name_stamp, idx->arena + idx->name_off[m],
                              idx->name_len[m], buf);
    uint32_t s = score_of (c, n, idx->name_trigrams[m]);
    if (s > best)
      best = s;
  }
  return best;
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

/* A candidate's count once it has its exact score on the page (counts are
   at most SEARCH_MAX_QUERY_TRIGRAMS). */
#define COUNT_SCORED UINT8_MAX
/* What scoring one candidate from its names costs, in postings read. */
#define SCORE_COST_POSTINGS 300

/* Counts one more query trigram for agency A (touched by this search), if
   it is a live candidate. */
static inline void
count_one_more (uint32_t *seen, size_t *hist, uint32_t a)
{
  uint8_t c = seen_count (seen[a]);
  if (0 == c || COUNT_SCORED == c)
    return;
  hist[c]--;
  hist[c + 1]++;
  seen[a]++;
}

/* The page being made: the best hits so far in a bounded heap. */
struct page
{
  const struct search_index *idx;
  struct qset *set;
  uint32_t n; /* query trigrams */
  const struct search_after *after;
  struct search_hit *heap;
  size_t *size;
  size_t cap;
  uint32_t *name_stamp;
  uint64_t *buf;
};

/* The fewest query trigrams a candidate must have to enter the page: its
   score is at most 1,000,000 * trigrams / n, and must reach a match and,
   once the page is full, its worst hit. */
static uint32_t
page_need (const struct page *pg)
{
  uint64_t least = SEARCH_SCORE_MIN;
  if (*pg->size == pg->cap && pg->heap[0].score > least)
    least = pg->heap[0].score;
  return (uint32_t) ((least * pg->n + SEARCH_SCORE_MAX - 1) / SEARCH_SCORE_MAX);
}

/* Scores agency A exactly and keeps it if it belongs on the page. */
static void
page_score (struct page *pg, uint32_t a)
{
  uint32_t best
      = agency_score (pg->idx, a, pg->set, pg->name_stamp, pg->n, pg->buf);
  if (best < SEARCH_SCORE_MIN)
    return;
  struct search_hit hit = { pg->idx->agency_id[a], best };
  const struct search_after *after = pg->after;
  if (NULL != after && after->set
      && !(best < after->score
           || (best == after->score && hit.agency_id > after->agency_id)))
    return;
  heap_push (pg->heap, pg->size, pg->cap, hit);
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

  struct qset *set = &scratch->query;
  memset (set, 0, sizeof *set);
  struct list_ref lists[SEARCH_MAX_QUERY_TRIGRAMS];
  for (uint32_t i = 0; i < n; i++)
  {
    qset_add (set, q[i]);
    size_t s = tri_slot (idx, q[i]);
    lists[i].tri = (0 == idx->tri_keys[s]) ? UINT32_MAX : idx->tri_ids[s];
    lists[i].count
        = (UINT32_MAX == lists[i].tri) ? 0 : idx->post_count[lists[i].tri];
  }
  qsort (lists, n, sizeof *lists, list_cmp);

  /* Counting, rarest list first.  After j lists, an agency not touched yet
     shares at most n - j trigrams with the query, so its score is at most
     1,000,000 (n - j) / n: once that is below a match, the remaining (most
     common, longest) lists can bring no new candidate, and only add to the
     counts of the agencies already touched. */
  uint16_t country = (NULL != f) ? pack_country (f->country) : 0;
  int standing = (NULL != f) ? f->standing : -1;
  uint32_t stamp = scratch_begin (scratch, idx->agency_count);
  if (scratch->heap_cap < limit + 1)
  {
    free (scratch->heap);
    scratch->heap_cap = limit + 1;
    scratch->heap = xmalloc (scratch->heap_cap * sizeof *scratch->heap);
  }
  uint32_t *seen = scratch->seen;
  uint32_t mine = stamp << STAMP_SHIFT;
  size_t hist[SEARCH_MAX_QUERY_TRIGRAMS + 2]; /* live candidates by count */
  memset (hist, 0, sizeof hist);
  size_t touched = 0;
  uint32_t j = 0;
  for (; j < n && (uint64_t) SEARCH_SCORE_MAX * (n - j) / n >= SEARCH_SCORE_MIN;
       j++)
  {
    if (UINT32_MAX == lists[j].tri)
      continue;
    const uint8_t *p = idx->postings + idx->post_off[lists[j].tri];
    uint32_t a = UINT32_MAX; /* so that the first gap (a + 1) lands on a */
    for (uint32_t k = 0; k < lists[j].count; k++)
    {
      a += varint_next (&p);
      if ((seen[a] & ~0xFFu) == mine)
      {
        count_one_more (seen, hist, a);
        continue;
      }
      seen[a] = mine; /* a count of 0: filtered out, never a candidate */
      if ((0 != country && idx->agency_country[a] != country)
          || (standing >= 0 && idx->agency_good[a] != (uint8_t) standing))
        continue;
      seen[a] = mine | 1;
      hist[1]++;
      scratch->touched[touched++] = a;
    }
  }

  /* The page, first from the candidates with the most trigrams: the worst
     hit it keeps is the score that any other candidate must reach. */
  size_t cap = limit + 1;
  struct search_hit *heap = scratch->heap;
  size_t size = 0;
  uint32_t name_stamp = 0;
  struct page page
      = { idx, set, n, after, heap, &size, cap, &name_stamp, scratch->buf };
  uint32_t least = n; /* all above it, and some of it, cap in all */
  size_t above = 0;
  while (least > 1 && above + hist[least] < cap)
    above += hist[least--];
  size_t at_least = cap - above;
  for (size_t i = 0; i < touched; i++)
  {
    uint32_t a = scratch->touched[i];
    uint8_t c = seen_count (seen[a]);
    if (0 == c || COUNT_SCORED == c || c < least
        || (c == least && 0 == at_least))
      continue;
    if (c == least)
      at_least--;
    hist[c]--;
    seen[a] = mine | COUNT_SCORED;
    page_score (&page, a);
  }

  /* Reading a posting costs a nanosecond or two; scoring a candidate from
     its names, as much as a hundred postings.  The common lists left are
     read, each making the bounds of the candidates exact by one trigram,
     only while more candidates could still enter the page than scoring
     them all would cost; the rest are scored on their bounds. */
  uint64_t left = 0;
  for (uint32_t r = j; r < n; r++)
    left += lists[r].count;
  for (; j < n; j++)
  {
    uint32_t need = page_need (&page);
    size_t live = 0;
    for (uint32_t c = (need > n - j) ? need - (n - j) : 1; c <= n; c++)
      live += hist[c];
    if ((uint64_t) live * SCORE_COST_POSTINGS <= left)
      break;
    left -= lists[j].count;
    if (UINT32_MAX == lists[j].tri)
      continue;
    const uint8_t *p = idx->postings + idx->post_off[lists[j].tri];
    uint32_t a = UINT32_MAX;
    for (uint32_t k = 0; k < lists[j].count; k++)
    {
      a += varint_next (&p);
      if ((seen[a] & ~0xFFu) == mine)
        count_one_more (seen, hist, a);
    }
  }

  /* The other candidates by upper bound (the query trigrams their names
     have on the lists read, and every list unread), best first: a counting
     sort over the few possible values; exact scores until no bound can
     enter the page. */
  uint32_t unread = n - j;
  size_t start[SEARCH_MAX_QUERY_TRIGRAMS + 2];
  memset (start, 0, sizeof start);
  for (size_t i = 0; i < touched; i++)
  {
    uint32_t c = seen_count (seen[scratch->touched[i]]);
    if (0 != c && COUNT_SCORED != c)
      start[n - c + 1]++;
  }
  for (uint32_t u = 1; u <= n + 1; u++)
    start[u] += start[u - 1];
  size_t candidates = start[n + 1];
  for (size_t i = 0; i < touched; i++)
  {
    uint32_t a = scratch->touched[i];
    uint32_t c = seen_count (seen[a]);
    if (0 != c && COUNT_SCORED != c)
      scratch->order[start[n - c]++] = a;
  }
  for (size_t i = 0; i < candidates; i++)
  {
    uint32_t a = scratch->order[i];
    uint32_t u = seen_count (seen[a]) + unread;
    if (u < page_need (&page))
      break;
    page_score (&page, a);
  }
  qsort (heap, size, sizeof *heap, hit_cmp);
  if (size > limit)
  {
    *more = true;
    size = limit;
  }
  memcpy (hits, heap, size * sizeof *hits);
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
