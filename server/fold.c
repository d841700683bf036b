/*
 * fr_fold as a per-code-point map (see fold.h).  The map holds only the code
 * points fr_fold changes (some 2,600 of 1.1 million): ASCII is a direct
 * table, everything else a binary search over a sorted array, and the
 * targets live in one string pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"

struct fold_rule
{
  uint32_t cp;
  uint32_t target_off; /* into pool */
  uint32_t target_len;
};

struct fold_map
{
  struct fold_rule *rules;
  size_t count;
  size_t cap;
  bool sorted;
  char *pool;
  size_t pool_len;
  size_t pool_cap;
  /* ASCII: index into rules + 1, 0 = unchanged; filled when sorted */
  uint32_t ascii[128];
};

static void *
xrealloc (void *p, size_t size)
{
  void *q = realloc (p, size);
  if (NULL == q)
    abort ();
  return q;
}

struct fold_map *
fold_map_new (void)
{
  struct fold_map *map = calloc (1, sizeof *map);
  if (NULL == map)
    abort ();
  map->sorted = true;
  return map;
}

void
fold_map_free (struct fold_map *map)
{
  if (NULL == map)
    return;
  free (map->rules);
  free (map->pool);
  free (map);
}

size_t
fold_map_size (const struct fold_map *map)
{
  return map->count;
}

void
fold_map_add (struct fold_map *map, uint32_t cp, const char *target)
{
  size_t len = strlen (target);
  if (map->pool_len + len > map->pool_cap)
  {
    map->pool_cap = 2 * (map->pool_cap + len) + 256;
    map->pool = xrealloc (map->pool, map->pool_cap);
  }
  memcpy (map->pool + map->pool_len, target, len);
  if (map->count == map->cap)
  {
    map->cap = 2 * map->cap + 64;
    map->rules = xrealloc (map->rules, map->cap * sizeof *map->rules);
  }
  map->rules[map->count++]
      = (struct fold_rule){ cp, (uint32_t) map->pool_len, (uint32_t) len };
  map->pool_len += len;
  map->sorted = false;
}

static int
rule_cmp (const void *a, const void *b)
{
  const struct fold_rule *x = a;
  const struct fold_rule *y = b;
  if (x->cp != y->cp)
    return (x->cp < y->cp) ? -1 : 1;
  /* the later rule for a code point wins: keep insertion order */
  return (x->target_off < y->target_off) ? -1 : 1;
}

/* Sorts the rules and drops all but the last rule of each code point.  Not
   thread-safe: maps are finished before they are shared (fold_map_load, or
   the first fold_utf8 of a test). */
static void
map_finish (struct fold_map *map)
{
  if (map->sorted)
    return;
  qsort (map->rules, map->count, sizeof *map->rules, rule_cmp);
  size_t kept = 0;
  for (size_t i = 0; i < map->count; i++)
  {
    if (i + 1 < map->count && map->rules[i + 1].cp == map->rules[i].cp)
      continue;
    map->rules[kept++] = map->rules[i];
  }
  map->count = kept;
  memset (map->ascii, 0, sizeof map->ascii);
  for (size_t i = 0; i < map->count && map->rules[i].cp < 128; i++)
    map->ascii[map->rules[i].cp] = (uint32_t) i + 1;
  map->sorted = true;
}

static const struct fold_rule *
map_find (const struct fold_map *map, uint32_t cp)
{
  if (cp < 128)
    return (0 == map->ascii[cp]) ? NULL : &map->rules[map->ascii[cp] - 1];
  size_t lo = 0;
  size_t hi = map->count;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2;
    if (map->rules[mid].cp < cp)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (lo < map->count && map->rules[lo].cp == cp) ? &map->rules[lo] : NULL;
}

uint32_t
fold_utf8_next (const char *text, size_t len, size_t *pos)
{
  const unsigned char *s = (const unsigned char *) text + *pos;
  size_t left = len - *pos;
  unsigned char c = s[0];
  if (c < 0x80)
  {
    *pos += 1;
    return c;
  }
  size_t need;
  uint32_t cp;
  uint32_t min;
  if (0xC0 == (c & 0xE0))
  {
    need = 2;
    cp = c & 0x1F;
    min = 0x80;
  }
  else if (0xE0 == (c & 0xF0))
  {
    need = 3;
    cp = c & 0x0F;
    min = 0x800;
  }
  else if (0xF0 == (c & 0xF8))
  {
    need = 4;
    cp = c & 0x07;
    min = 0x10000;
  }
  else
  {
    *pos += 1;
    return 0xFFFD;
  }
  if (left < need)
  {
    *pos += 1;
    return 0xFFFD;
  }
  for (size_t i = 1; i < need; i++)
  {
    if (0x80 != (s[i] & 0xC0))
    {
      *pos += 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
  {
    *pos += 1;
    return 0xFFFD;
  }
  *pos += need;
  return cp;
}

size_t
fold_utf8_put (uint32_t cp, char out[4])
{
  if (cp < 0x80)
  {
    out[0] = (char) cp;
    return 1;
  }
  if (cp < 0x800)
  {
    out[0] = (char) (0xC0 | (cp >> 6));
    out[1] = (char) (0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000)
  {
    out[0] = (char) (0xE0 | (cp >> 12));
    out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char) (0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char) (0xF0 | (cp >> 18));
  out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char) (0x80 | (cp & 0x3F));
  return 4;
}

size_t
fold_utf8 (const struct fold_map *map, const char *text, size_t len, char *out,
           size_t out_size)
{
  if (!map->sorted)
    map_finish ((struct fold_map *) map);
  size_t used = 0;
  size_t pos = 0;
  while (pos < len)
  {
    size_t start = pos;
    uint32_t cp = fold_utf8_next (text, len, &pos);
    const struct fold_rule *rule = map_find (map, cp);
    const char *piece;
    size_t piece_len;
    char buf[4];
    if (NULL != rule)
    {
      piece = map->pool + rule->target_off;
      piece_len = rule->target_len;
    }
    else if (0xFFFD == cp && pos - start == 1
             && (unsigned char) text[start] >= 0x80)
    {
      piece_len = fold_utf8_put (0xFFFD, buf);
      piece = buf;
    }
    else
    {
      piece = text + start;
      piece_len = pos - start;
    }
    if (used + piece_len < out_size)
      memcpy (out + used, piece, piece_len);
    else if (used < out_size)
      out_size = used + 1; /* stop writing: keep the prefix whole */
    used += piece_len;
  }
  if (out_size > 0)
    out[(used < out_size) ? used : out_size - 1] = '\0';
  return used;
}

/* Every code point but the surrogates, whose fr_fold differs from itself.
   chr() refuses 0 and the surrogates. */
static const char *const load_sql
    = "SELECT cp, f FROM ("
      "  SELECT cp, public.fr_fold(chr(cp)) AS f"
      "    FROM generate_series(1, 1114111) AS cp"
      "   WHERE cp NOT BETWEEN 55296 AND 57343) AS s"
      " WHERE f <> chr(cp)";

struct fold_map *
fold_map_load (PGconn *pg, char *why, size_t why_size)
{
  PGresult *res = PQexec (pg, load_sql);
  if (PGRES_TUPLES_OK != PQresultStatus (res))
  {
    snprintf (why, why_size, "reading fr_fold: %s",
              (NULL != res) ? PQresultErrorMessage (res) : "out of memory");
    why[strcspn (why, "\n")] = '\0';
    PQclear (res);
    return NULL;
  }
  struct fold_map *map = fold_map_new ();
  int rows = PQntuples (res);
  for (int r = 0; r < rows; r++)
    fold_map_add (map, (uint32_t) strtoul (PQgetvalue (res, r, 0), NULL, 10),
                  PQgetvalue (res, r, 1));
  PQclear (res);
  map_finish (map);
  return map;
}
