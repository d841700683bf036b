/*
 * Unit tests of the in-process name search (server/search_index.c) and of the
 * C fold (server/fold.c): ranking, typos, spacing, diacritics (given folded
 * text, as the database folds it), the scripts without spaces, filters,
 * pagination, empty and huge queries; a randomised comparison of the pruned
 * search against scoring every agency; and, when a PostgreSQL server is
 * reachable (tests/run.sh runs inside one), the C fold against the
 * database's own fr_fold over many strings of every script.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config.h"
#include "db/db.h"
#include "db/migrate.h"
#include "fold.h"
#include "search_index.h"

struct agency_fixture
{
  int64_t id;
  const char *country;
  bool good;
  const char *names[4]; /* folded; NULL-terminated */
};

static struct search_index *
build (const struct agency_fixture *fixtures, size_t count)
{
  struct search_index_builder *b = search_index_builder_new ();
  for (size_t i = 0; i < count; i++)
    assert_true (search_index_builder_add_agency (
        b, fixtures[i].id, fixtures[i].country, fixtures[i].good, NULL, 0));
  for (size_t i = 0; i < count; i++)
    for (size_t k = 0; NULL != fixtures[i].names[k]; k++)
      assert_true (search_index_builder_add_name (
          b, fixtures[i].id, fixtures[i].names[k],
          strlen (fixtures[i].names[k])));
  return search_index_builder_finish (b);
}

/* Runs QUERY and stores the ids found into IDS (at most 64); returns the
   count. */
static size_t
search (const struct search_index *idx, const char *query,
        const struct search_filter *f, int64_t *ids, size_t limit, bool *more)
{
  struct search_scratch *s = search_scratch_new ();
  struct search_hit hits[64];
  bool more_local;
  size_t n = search_index_query (idx, s, query, strlen (query), f, NULL, hits,
                                 limit, NULL != more ? more : &more_local);
  for (size_t i = 0; i < n; i++)
    ids[i] = hits[i].agency_id;
  search_scratch_free (s);
  return n;
}

static bool
contains (const int64_t *ids, size_t n, int64_t id)
{
  for (size_t i = 0; i < n; i++)
    if (ids[i] == id)
      return true;
  return false;
}

static const struct agency_fixture manpower[] = {
  { 1, "PH", true, { "global manpower services inc", NULL } },
  { 2, "PH", true, { "global manpower", NULL } },
  { 3, "PH", false, { "globe manpower", NULL } },
  { 4, "ID", true, { "pt sinar jaya abadi", "sinar jaya manpower", NULL } },
  { 5, "VN", true, { "nguyen dong a", NULL } },
  { 6, "VN", true, { "dong anh trading", NULL } },
  { 7, "MY", false, { "maju jaya sdn bhd", NULL } },
  { 8, "PH", true, { "pacific star recruitment", NULL } },
};
#define MANPOWER_COUNT (sizeof manpower / sizeof manpower[0])

static void
exact_name_ranks_first_then_longer_then_typos (void **state)
{
  (void) state;
  struct search_index *idx = build (manpower, MANPOWER_COUNT);
  int64_t ids[64];
  size_t n = search (idx, "global manpower", NULL, ids, 10, NULL);
  assert_true (n >= 3);
  assert_int_equal (ids[0], 2);       /* the exact name */
  assert_int_equal (ids[1], 1);       /* contains the whole query, longer */
  assert_true (contains (ids, n, 3)); /* one letter off */
  assert_false (contains (ids, n, 8));
  assert_int_equal (search_score ("global manpower", 15, "global manpower", 15),
                    SEARCH_SCORE_MAX);
  assert_int_equal (search_score ("zzz", 3, "global manpower", 15), 0);
  search_index_free (idx);
}

static void
one_letter_typos_still_find_the_name (void **state)
{
  (void) state;
  struct search_index *idx = build (manpower, MANPOWER_COUNT);
  int64_t ids[64];
  const char *typos[] = { "glbal manpower", "global manpowr", "glabal manpower",
                          "global manpoewr", "pacifik star" };
  const int64_t wanted[] = { 2, 2, 2, 2, 8 };
  for (size_t i = 0; i < sizeof typos / sizeof typos[0]; i++)
  {
    size_t n = search (idx, typos[i], NULL, ids, 10, NULL);
    assert_true (n >= 1);
    assert_int_equal (ids[0], wanted[i]);
  }
  search_index_free (idx);
}

static void
missing_or_extra_spaces_still_find_the_name (void **state)
{
  (void) state;
  struct search_index *idx = build (manpower, MANPOWER_COUNT);
  int64_t ids[64];
  size_t n = search (idx, "nguyen donga", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 5);
  n = search (idx, "sinarjaya", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 4);
  n = search (idx, "  pacific   star  ", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 8);
  search_index_free (idx);
}

static void
any_name_of_an_agency_matches (void **state)
{
  (void) state;
  struct search_index *idx = build (manpower, MANPOWER_COUNT);
  int64_t ids[64];
  size_t n = search (idx, "sinar jaya manpower", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 4); /* by its second name */
  /* an agency appears once, however many of its names match */
  n = search (idx, "sinar jaya", NULL, ids, 10, NULL);
  size_t fours = 0;
  for (size_t i = 0; i < n; i++)
    fours += (4 == ids[i]);
  assert_int_equal (fours, 1);
  search_index_free (idx);
}

static struct fold_map *
vietnamese_fold (void)
{
  struct fold_map *map = fold_map_new ();
  const struct
  {
    uint32_t cp;
    const char *to;
  } rules[] = {
    { 'N', "n" },    { 'D', "d" },    { 0x1EC5, "e" }, { 0x0110, "d" },
    { 0x00F4, "o" }, { 0x00C1, "a" }, { 0x0301, "" },  { 0x00A9, "(c)" },
  };
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    fold_map_add (map, rules[i].cp, rules[i].to);
  return map;
}

static void
diacritics_fold_away_in_query_and_name (void **state)
{
  (void) state;
  struct fold_map *map = vietnamese_fold ();
  char out[128];
  const char *name = "Nguy\xE1\xBB\x85n \xC4\x90\xC3\xB4ng \xC3\x81";
  size_t len = fold_utf8 (map, name, strlen (name), out, sizeof out);
  assert_string_equal (out, "nguyen dong a");
  assert_int_equal (len, strlen ("nguyen dong a"));
  /* a combining mark folded to nothing, a symbol to several letters */
  fold_utf8 (map, "e\xCC\x81 \xC2\xA9", 6, out, sizeof out);
  assert_string_equal (out, "e (c)");
  /* too small a buffer: the length needed, and a whole prefix */
  char small[6];
  len = fold_utf8 (map, name, strlen (name), small, sizeof small);
  assert_int_equal (len, strlen ("nguyen dong a"));
  assert_string_equal (small, "nguye");
  /* a malformed byte becomes U+FFFD, never a broken sequence */
  fold_utf8 (map,
             "a\xFF"
             "b",
             3, out, sizeof out);
  assert_string_equal (out, "a\xEF\xBF\xBD"
                            "b");

  struct search_index *idx = build (manpower, MANPOWER_COUNT);
  int64_t ids[64];
  fold_utf8 (map, "Nguyen Dong A", 13, out, sizeof out);
  size_t n = search (idx, out, NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 5);
  search_index_free (idx);
  fold_map_free (map);
}

static const struct agency_fixture scripts[] = {
  { 10,
    "TH",
    true,
    { "บริษัทตัวอย่างจัดหางานจำกัด", "example recruitment co ltd", NULL } },
  { 11, "TH", true, { "บริษัทสยามแรงงานจำกัด", NULL } },
  { 12, "MM", true, { "မြန်မာ အလုပ်အကိုင် ကုမ္ပဏီ", NULL } },
  { 13, "MM", true, { "ရွှေမြန်မာ ဝန်ဆောင်မှု", NULL } },
  { 14, "KH", true, { "ក្រុមហ៊ុន ជ្រើសរើស កម្មករ", NULL } },
  { 15, "LA", true, { "ບໍລິສັດ ຈັດຫາງານ ລາວ", NULL } },
  { 16, "TH", true, { "ก", NULL } },
};

static void
scripts_without_spaces_match_by_substring (void **state)
{
  (void) state;
  struct search_index *idx
      = build (scripts, sizeof scripts / sizeof scripts[0]);
  int64_t ids[64];
  size_t n = search (idx, "จัดหางาน", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 10);
  assert_false (contains (ids, n, 11));
  n = search (idx, "ตัวอย่าง", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 10);
  n = search (idx, "အလုပ်အကိုင်", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 12);
  n = search (idx, "ជ្រើសរើស", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 14);
  n = search (idx, "ຈັດຫາງານ", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 15);
  /* a one-code-point name (three bytes of UTF-8) */
  n = search (idx, "ก", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 16);
  /* the Latin name of the same agency */
  n = search (idx, "example recruitment", NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 10);
  search_index_free (idx);
}

static void
filters_by_country_and_standing (void **state)
{
  (void) state;
  struct search_index *idx = build (manpower, MANPOWER_COUNT);
  int64_t ids[64];
  struct search_filter f = { "PH", -1 };
  size_t n = search (idx, "jaya", &f, ids, 10, NULL);
  assert_int_equal (n, 0);
  snprintf (f.country, sizeof f.country, "ID");
  n = search (idx, "jaya", &f, ids, 10, NULL);
  assert_int_equal (n, 1);
  assert_int_equal (ids[0], 4);
  struct search_filter good = { "", 1 };
  n = search (idx, "manpower", &good, ids, 10, NULL);
  assert_false (contains (ids, n, 3));
  assert_true (contains (ids, n, 2));
  struct search_filter bad = { "", 0 };
  n = search (idx, "manpower", &bad, ids, 10, NULL);
  assert_int_equal (n, 1);
  assert_int_equal (ids[0], 3);
  struct search_filter both = { "MY", 0 };
  n = search (idx, "maju jaya", &both, ids, 10, NULL);
  assert_int_equal (n, 1);
  assert_int_equal (ids[0], 7);
  search_index_free (idx);
}

static void
pages_follow_each_other_without_gaps_or_repeats (void **state)
{
  (void) state;
  struct search_index_builder *b = search_index_builder_new ();
  char names[40][64];
  for (int i = 0; i < 40; i++)
    assert_true (search_index_builder_add_agency (b, 100 + 3 * i, "TH",
                                                  0 == i % 2, NULL, 0));
  for (int i = 0; i < 40; i++)
  {
    /* names of a few lengths, so that scores tie in groups */
    snprintf (names[i], sizeof names[i], "alpha recruitment%s",
              (0 == i % 3)   ? ""
              : (1 == i % 3) ? " co"
                             : " company limited");
    assert_true (search_index_builder_add_name (b, 100 + 3 * i, names[i],
                                                strlen (names[i])));
  }
  struct search_index *idx = search_index_builder_finish (b);
  struct search_scratch *s = search_scratch_new ();
  struct search_hit all[64];
  bool more;
  size_t total = search_index_query (idx, s, "alpha recruitment", 17, NULL,
                                     NULL, all, 64, &more);
  assert_int_equal (total, 40);
  assert_false (more);
  for (size_t i = 1; i < total; i++)
    assert_true (all[i - 1].score > all[i].score
                 || (all[i - 1].score == all[i].score
                     && all[i - 1].agency_id < all[i].agency_id));

  struct search_after after = { false, 0, 0 };
  size_t seen = 0;
  for (int page = 0; page < 10; page++)
  {
    struct search_hit hits[7];
    size_t n = search_index_query (idx, s, "alpha recruitment", 17, NULL,
                                   &after, hits, 7, &more);
    for (size_t i = 0; i < n; i++)
    {
      assert_int_equal (hits[i].agency_id, all[seen + i].agency_id);
      assert_int_equal (hits[i].score, all[seen + i].score);
    }
    seen += n;
    if (!more)
      break;
    after = (struct search_after){ true, hits[n - 1].score,
                                   hits[n - 1].agency_id };
  }
  assert_int_equal (seen, 40);
  search_scratch_free (s);
  search_index_free (idx);
}

static void
empty_punctuation_and_huge_queries_are_harmless (void **state)
{
  (void) state;
  struct search_index *idx = build (manpower, MANPOWER_COUNT);
  int64_t ids[64];
  bool more = true;
  assert_int_equal (search (idx, "", NULL, ids, 10, &more), 0);
  assert_false (more);
  assert_int_equal (search (idx, " .,-/()! ", NULL, ids, 10, NULL), 0);
  assert_int_equal (search (idx, "global", NULL, ids, 0, NULL), 0);
  char huge[4096];
  for (size_t i = 0; i + 1 < sizeof huge; i++)
    huge[i] = "global manpower "[i % 16];
  huge[sizeof huge - 1] = '\0';
  size_t n = search (idx, huge, NULL, ids, 10, NULL);
  assert_true (n >= 1);
  assert_int_equal (ids[0], 2);
  /* an index without agencies, and one whose agencies have no names */
  struct search_index *none
      = search_index_builder_finish (search_index_builder_new ());
  assert_int_equal (search (none, "global", NULL, ids, 10, NULL), 0);
  search_index_free (none);
  struct search_index_builder *b = search_index_builder_new ();
  assert_true (search_index_builder_add_agency (b, 1, "PH", true, NULL, 0));
  none = search_index_builder_finish (b);
  assert_int_equal (search (none, "global", NULL, ids, 10, NULL), 0);
  search_index_free (none);
  search_index_free (idx);
}

static void
one_scratch_serves_any_number_of_searches (void **state)
{
  (void) state;
  /* a search marks the names it touches with a stamp of its own, and the
     stamps run out (and start again) every few hundred searches */
  struct search_index *idx = build (manpower, MANPOWER_COUNT);
  struct search_scratch *s = search_scratch_new ();
  struct search_hit first[10];
  bool more;
  size_t n = search_index_query (idx, s, "global manpower", 15, NULL, NULL,
                                 first, 10, &more);
  assert_true (n >= 3);
  for (int i = 0; i < 1500; i++)
  {
    struct search_hit hits[10];
    const char *other = (0 == i % 2) ? "jaya" : "dong a";
    search_index_query (idx, s, other, strlen (other), NULL, NULL, hits, 10,
                        &more);
    size_t again = search_index_query (idx, s, "global manpower", 15, NULL,
                                       NULL, hits, 10, &more);
    assert_int_equal (again, n);
    for (size_t k = 0; k < n; k++)
    {
      assert_int_equal (hits[k].agency_id, first[k].agency_id);
      assert_int_equal (hits[k].score, first[k].score);
    }
  }
  search_scratch_free (s);
  search_index_free (idx);
}

static void
builder_refuses_out_of_order_and_unknown_agencies (void **state)
{
  (void) state;
  struct search_index_builder *b = search_index_builder_new ();
  const char *summary = "{\"id\" : 5, \"name\" : \"X  Y\"}";
  assert_true (search_index_builder_add_agency (b, 5, "PH", true, summary,
                                                strlen (summary)));
  assert_false (search_index_builder_add_agency (b, 5, "PH", true, NULL, 0));
  assert_false (search_index_builder_add_agency (b, 4, "PH", true, NULL, 0));
  assert_false (search_index_builder_add_agency (b, -1, "PH", true, NULL, 0));
  assert_false (search_index_builder_add_name (b, 6, "x", 1));
  assert_true (search_index_builder_add_name (b, 5, "x", 1));
  struct search_index *idx = search_index_builder_finish (b);
  /* the summary is kept compact: no space outside its strings */
  size_t len;
  const char *kept = search_index_summary (idx, 5, &len);
  assert_non_null (kept);
  assert_int_equal (len, strlen ("{\"id\":5,\"name\":\"X  Y\"}"));
  assert_memory_equal (kept, "{\"id\":5,\"name\":\"X  Y\"}", len);
  assert_null (search_index_summary (idx, 6, &len));
  struct search_index_stats st;
  search_index_stats (idx, &st);
  assert_int_equal (st.agencies, 1);
  assert_int_equal (st.names, 1);
  search_index_free (idx);
}

/* ---- the pruned search against scoring every agency ---- */

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint32_t
rng (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t) (rng_state >> 11);
}

static const char *const syllables[]
    = { "ba",   "ko",  "ri",  "man", "po", "wer", "sin", "ar",  "ja",
        "ya",   "ng",  "uy",  "en",  "do", "tha", "lao", "my",  "an",
        "สยาม", "งาน", "ไทย", "မြန်", "မာ", "ខ្មែ", "រ",   "ລາວ", "ພາ" };
#define SYLLABLES (sizeof syllables / sizeof syllables[0])

static void
random_name (char *out, size_t size, int words)
{
  size_t used = 0;
  out[0] = '\0';
  for (int w = 0; w < words; w++)
  {
    int parts = 1 + (int) (rng () % 3);
    if (w > 0 && used + 1 < size)
      out[used++] = ' ';
    for (int p = 0; p < parts; p++)
    {
      const char *syl = syllables[rng () % SYLLABLES];
      size_t len = strlen (syl);
      if (used + len + 1 >= size)
        break;
      memcpy (out + used, syl, len);
      used += len;
    }
  }
  out[used] = '\0';
}

#define RANDOM_AGENCIES 600

struct brute
{
  int64_t id;
  uint32_t score;
};

static int
brute_cmp (const void *a, const void *b)
{
  const struct brute *x = a;
  const struct brute *y = b;
  if (x->score != y->score)
    return (x->score > y->score) ? -1 : 1;
  return (x->id < y->id) ? -1 : (x->id > y->id);
}

static void
pruned_search_equals_scoring_every_agency (void **state)
{
  (void) state;
  static char names[RANDOM_AGENCIES][3][96];
  static const char *const countries[] = { "PH", "TH", "MM" };
  struct search_index_builder *b = search_index_builder_new ();
  for (int a = 0; a < RANDOM_AGENCIES; a++)
    assert_true (search_index_builder_add_agency (
        b, 1 + 2 * a, countries[a % 3], 0 != a % 4, NULL, 0));
  for (int a = 0; a < RANDOM_AGENCIES; a++)
    for (int k = 0; k < 1 + a % 3; k++)
    {
      random_name (names[a][k], sizeof names[a][k], 1 + (int) (rng () % 4));
      assert_true (search_index_builder_add_name (b, 1 + 2 * a, names[a][k],
                                                  strlen (names[a][k])));
    }
  struct search_index *idx = search_index_builder_finish (b);
  struct search_scratch *s = search_scratch_new ();
  static struct brute expected[RANDOM_AGENCIES];
  for (int round = 0; round < 300; round++)
  {
    char query[96];
    if (0 == round % 3)
    {
      /* a real name, with one byte changed now and then */
      int a = (int) (rng () % RANDOM_AGENCIES);
      snprintf (query, sizeof query, "%s", names[a][0]);
      if (0 == round % 2 && 'a' <= query[0] && query[0] <= 'z')
        query[0] = (char) ('a' + rng () % 26);
    }
    else
      random_name (query, sizeof query, 1 + (int) (rng () % 2));
    struct search_filter f = { "", -1 };
    if (0 == round % 5)
      snprintf (f.country, sizeof f.country, "%s", countries[round % 3]);
    if (0 == round % 7)
      f.standing = round % 2;
    size_t count = 0;
    for (int a = 0; a < RANDOM_AGENCIES; a++)
    {
      if ('\0' != f.country[0] && 0 != strcmp (f.country, countries[a % 3]))
        continue;
      if (f.standing >= 0 && (0 != a % 4) != (1 == f.standing))
        continue;
      uint32_t best = 0;
      for (int k = 0; k < 1 + a % 3; k++)
      {
        uint32_t sc = search_score (query, strlen (query), names[a][k],
                                    strlen (names[a][k]));
        best = (sc > best) ? sc : best;
      }
      if (best >= SEARCH_SCORE_MIN)
        expected[count++] = (struct brute){ 1 + 2 * a, best };
    }
    qsort (expected, count, sizeof *expected, brute_cmp);
    /* page through in pages of 9 and compare every hit */
    struct search_after after = { false, 0, 0 };
    size_t seen = 0;
    bool more = true;
    while (more)
    {
      struct search_hit hits[9];
      size_t n = search_index_query (idx, s, query, strlen (query), &f, &after,
                                     hits, 9, &more);
      for (size_t i = 0; i < n; i++)
      {
        assert_true (seen + i < count);
        assert_int_equal (hits[i].agency_id, expected[seen + i].id);
        assert_int_equal (hits[i].score, expected[seen + i].score);
      }
      seen += n;
      if (n > 0)
        after = (struct search_after){ true, hits[n - 1].score,
                                       hits[n - 1].agency_id };
      assert_true (n > 0 || !more);
    }
    assert_int_equal (seen, count);
  }
  search_scratch_free (s);
  search_index_free (idx);
}

/* ---- the same over a registry large enough for every form of list ----
 *
 * A few thousand agencies whose names mix words as common as "manpower"
 * (lists long enough to be kept as bitmaps), middling ones (lists in
 * blocks with a table) and rare syllables (short lists), in Latin and in
 * scripts without spaces, an agency's second name often repeating words of
 * its first; queries from whole names (long queries whose page is made of
 * near-identical names, which lets the search stop reading early) to single
 * common words and noise, with filters and pages of every size, compared hit
 * for hit and score for score with search_score over every name. */

#define LARGE_AGENCIES 2400
#define LARGE_ROUNDS 160

static const char *const common_words[]
    = { "manpower", "recruitment", "services", "agency", "co ltd",
        "overseas", "employment",  "จัดหางาน",  "บริษัท",   "ကုမ္ပဏီ" };
static const char *const middling_words[]
    = { "global", "pacific", "golden", "star",  "jaya",    "abadi",  "sinar",
        "mega",   "prima",   "asia",   "union", "trading", "labour", "sdn bhd",
        "สยาม",   "ไทย",     "မြန်မာ",  "ລາວ",   "ខ្មែរ" };

/* One word: common a fifth of the time, middling a third, else syllables. */
static size_t
large_word (char *out, size_t size)
{
  const char *w;
  char made[64];
  uint32_t r = rng () % 15;
  if (r < 3)
    w = common_words[rng () % (sizeof common_words / sizeof common_words[0])];
  else if (r < 8)
    w = middling_words[rng ()
                       % (sizeof middling_words / sizeof middling_words[0])];
  else
  {
    random_name (made, sizeof made, 1);
    w = made;
  }
  return (size_t) snprintf (out, size, "%s", w);
}

static void
large_name (char *out, size_t size, const char *like)
{
  size_t used = 0;
  out[0] = '\0';
  if (NULL != like && 0 != rng () % 3)
  {
    /* words of the agency's first name, and one more */
    used = strlen (like);
    if (used >= size)
      used = size - 1;
    memmove (out, like, used);
    out[used] = '\0';
    const char *space = strrchr (out, ' ');
    if (NULL != space && 0 == rng () % 2)
      used = (size_t) (space - out);
  }
  int words = 1 + (int) (rng () % 5);
  for (int w = 0; w < words && used + 40 < size; w++)
  {
    if (used > 0)
      out[used++] = ' ';
    used += large_word (out + used, size - used);
  }
  out[used] = '\0';
}

static void
pruned_search_equals_scoring_every_agency_in_every_list_form (void **state)
{
  (void) state;
  static char names[LARGE_AGENCIES][3][128];
  static const char *const countries[] = { "PH", "TH", "MM", "LA" };
  struct search_index_builder *b = search_index_builder_new ();
  for (int a = 0; a < LARGE_AGENCIES; a++)
    assert_true (search_index_builder_add_agency (
        b, 7 + 5 * a, countries[a % 4], 0 != a % 3, NULL, 0));
  for (int a = 0; a < LARGE_AGENCIES; a++)
    for (int k = 0; k < 1 + a % 3; k++)
    {
      if (a > 0 && 0 == k && 0 == rng () % 4)
      {
        /* a near twin of the agency before */
        char twin[sizeof names[a][0]];
        snprintf (twin, sizeof twin, "%s %s", names[a - 1][0],
                  syllables[rng () % SYLLABLES]);
        memcpy (names[a][0], twin, sizeof twin);
      }
      else
        large_name (names[a][k], sizeof names[a][k],
                    (k > 0) ? names[a][0] : NULL);
      assert_true (search_index_builder_add_name (b, 7 + 5 * a, names[a][k],
                                                  strlen (names[a][k])));
    }
  struct search_index *idx = search_index_builder_finish (b);
  struct search_index_stats st;
  search_index_stats (idx, &st);
  assert_true (st.bitmap_lists > 0);
  assert_true (st.blocked_lists > 0);
  assert_true (st.trigrams > st.bitmap_lists + st.blocked_lists);

  struct search_scratch *s = search_scratch_new ();
  static struct brute expected[LARGE_AGENCIES];
  for (int round = 0; round < LARGE_ROUNDS; round++)
  {
    char query[512];
    int a = (int) (rng () % LARGE_AGENCIES);
    switch (round % 6)
    {
    case 0: /* a whole name */
      snprintf (query, sizeof query, "%s", names[a][0]);
      break;
    case 1: /* two names run together: a long query */
      snprintf (query, sizeof query, "%s %s", names[a][0],
                names[(a + 1) % LARGE_AGENCIES][0]);
      break;
    case 2: /* a name with a letter changed */
      snprintf (query, sizeof query, "%s", names[a][a % 3 < 1 ? 0 : a % 3]);
      query[rng () % (strlen (query) + 1) / 2] = 'q';
      break;
    case 3: /* one common word */
      snprintf (query, sizeof query, "%s",
                common_words[rng ()
                             % (sizeof common_words / sizeof common_words[0])]);
      break;
    case 4: /* a middling and a common word */
      snprintf (
          query, sizeof query, "%s %s",
          middling_words[rng ()
                         % (sizeof middling_words / sizeof middling_words[0])],
          common_words[rng ()
                       % (sizeof common_words / sizeof common_words[0])]);
      break;
    default:
      random_name (query, sizeof query, 1 + (int) (rng () % 3));
    }
    struct search_filter f = { "", -1 };
    if (0 == round % 5)
      snprintf (f.country, sizeof f.country, "%s", countries[round % 4]);
    if (0 == round % 7)
      f.standing = round % 2;
    size_t count = 0;
    for (int x = 0; x < LARGE_AGENCIES; x++)
    {
      if ('\0' != f.country[0] && 0 != strcmp (f.country, countries[x % 4]))
        continue;
      if (f.standing >= 0 && (0 != x % 3) != (1 == f.standing))
        continue;
      uint32_t best = 0;
      for (int k = 0; k < 1 + x % 3; k++)
      {
        uint32_t sc = search_score (query, strlen (query), names[x][k],
                                    strlen (names[x][k]));
        best = (sc > best) ? sc : best;
      }
      if (best >= SEARCH_SCORE_MIN)
        expected[count++] = (struct brute){ 7 + 5 * x, best };
    }
    qsort (expected, count, sizeof *expected, brute_cmp);
    /* the first page as the server asks for it, then the rest in pages of
       a size that changes from round to round */
    size_t page = (0 == round % 2) ? 20 : 1 + rng () % 30;
    struct search_after after = { false, 0, 0 };
    size_t seen = 0;
    bool more = true;
    while (more && seen < 200)
    {
      struct search_hit hits[30];
      size_t n = search_index_query (idx, s, query, strlen (query), &f, &after,
                                     hits, page, &more);
      for (size_t i = 0; i < n; i++)
      {
        assert_true (seen + i < count);
        assert_int_equal (hits[i].agency_id, expected[seen + i].id);
        assert_int_equal (hits[i].score, expected[seen + i].score);
      }
      seen += n;
      assert_true (n == page || !more);
      if (n > 0)
        after = (struct search_after){ true, hits[n - 1].score,
                                       hits[n - 1].agency_id };
    }
    assert_true (seen == count || (more && seen >= 200));
  }
  search_scratch_free (s);
  search_index_free (idx);
}

/* ---- the C fold against the database's fr_fold ---- */

static PGconn *
connect_or_null (const char *conninfo)
{
  PGconn *pg = PQconnectdb (conninfo);
  if (CONNECTION_OK != PQstatus (pg))
  {
    PQfinish (pg);
    return NULL;
  }
  return pg;
}

/* Appends the UTF-8 of CP to OUT. */
static size_t
put_cp (char *out, uint32_t cp)
{
  char buf[4];
  size_t len = fold_utf8_put (cp, buf);
  memcpy (out, buf, len);
  return len;
}

/* A random string over the ranges where fr_fold does something, and some
   where it should not. */
static void
random_text (char *out, size_t size)
{
  static const uint32_t ranges[][2] = {
    { 0x20, 0x7E },       { 0xA0, 0x24F },      { 0x300, 0x36F },
    { 0x370, 0x3FF },     { 0x400, 0x4FF },     { 0x1E00, 0x1EFF },
    { 0x0E00, 0x0E7F },   { 0x1000, 0x109F },   { 0x1780, 0x17FF },
    { 0x0E80, 0x0EFF },   { 0x2000, 0x218F },   { 0x2460, 0x24FF },
    { 0x3000, 0x30FF },   { 0xFB00, 0xFB4F },   { 0xFF00, 0xFFEF },
    { 0x1D400, 0x1D7FF }, { 0x1F100, 0x1F1FF },
  };
  size_t len = 1 + rng () % 24;
  size_t used = 0;
  for (size_t i = 0; i < len && used + 5 < size; i++)
  {
    size_t r = rng () % (sizeof ranges / sizeof ranges[0]);
    uint32_t cp = ranges[r][0] + rng () % (ranges[r][1] - ranges[r][0] + 1);
    if (0 == rng () % 4)
      cp = 1 + rng () % 0xFFFF; /* anywhere in the BMP */
    if ((cp >= 0xD800 && cp <= 0xDFFF) || 0 == cp)
      cp = 'x';
    used += put_cp (out + used, cp);
  }
  out[used] = '\0';
}

#define FOLD_BATCH 100
#define FOLD_STRINGS 20000

static void
c_fold_matches_fr_fold_of_the_database (void **state)
{
  (void) state;
  PGconn *admin = connect_or_null ("");
  if (NULL == admin)
  {
    skip (); /* no PostgreSQL here: tests/run.sh provides one */
    return;
  }
  char dbname[64];
  snprintf (dbname, sizeof dbname, "fr_unit_fold_%d", (int) getpid ());
  char sql[256];
  snprintf (sql, sizeof sql,
            "CREATE DATABASE %s ENCODING 'UTF8' LOCALE 'C.UTF-8'"
            " TEMPLATE template0",
            dbname);
  PGresult *res = PQexec (admin, sql);
  assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
  PQclear (res);

  char conninfo[128];
  snprintf (conninfo, sizeof conninfo, "dbname=%s", dbname);
  config.database_url = conninfo;
  config.read_database_url = conninfo;
  config.statement_timeout_ms = 60000;
  db_configure (&config);
  struct db_conn *conn = db_connect_command (DB_KIND_SESSION);
  assert_non_null (conn);
  FILE *devnull = fopen ("/dev/null", "w");
  assert_true (db_migrate (conn, devnull) > 0);
  fclose (devnull);

  char why[256];
  struct fold_map *map = fold_map_load (db_pg (conn), why, sizeof why);
  assert_non_null (map);
  assert_true (fold_map_size (map) > 1000);

  /* The classic cases first, then random strings of every script. */
  static char texts[FOLD_STRINGS][128];
  const char *classic[] = {
    "Nguyễn Đông Á",
    "ĐÔNG Á",
    "Ærøskøbing ß ﬁ",
    "İstanbul",
    "Ελληνικά ΣΊΣΥΦΟΣ",
    "Москва",
    "บริษัท จำกัด",
    "မြန်မာ",
    "ខ្មែរ",
    "ລາວ",
    "e\xCC\x81",
    "①②③ ½ © ™",
    "ＦＵＬＬ ｗｉｄｔｈ",
    "Ｍａｎ",
    "",
  };
  size_t count = sizeof classic / sizeof classic[0];
  for (size_t i = 0; i < count; i++)
    snprintf (texts[i], sizeof texts[i], "%s", classic[i]);
  for (; count < FOLD_STRINGS; count++)
    random_text (texts[count], sizeof texts[count]);

  size_t mismatches = 0;
  for (size_t start = 0; start < count; start += FOLD_BATCH)
  {
    size_t n = (count - start < FOLD_BATCH) ? count - start : FOLD_BATCH;
    char query[FOLD_BATCH * 16 + 16] = "SELECT ";
    const char *params[FOLD_BATCH];
    for (size_t i = 0; i < n; i++)
    {
      char piece[16];
      snprintf (piece, sizeof piece, "%sfr_fold($%zu)", (0 == i) ? "" : ",",
                i + 1);
      strcat (query, piece);
      params[i] = texts[start + i];
    }
    res = PQexecParams (db_pg (conn), query, (int) n, NULL, params, NULL, NULL,
                        0);
    assert_int_equal (PQresultStatus (res), PGRES_TUPLES_OK);
    for (size_t i = 0; i < n; i++)
    {
      char mine[512];
      fold_utf8 (map, texts[start + i], strlen (texts[start + i]), mine,
                 sizeof mine);
      if (0 != strcmp (mine, PQgetvalue (res, 0, (int) i)))
      {
        if (mismatches < 5)
          print_message ("fold differs: \"%s\": C \"%s\", fr_fold \"%s\"\n",
                         texts[start + i], mine, PQgetvalue (res, 0, (int) i));
        mismatches++;
      }
    }
    PQclear (res);
  }
  print_message ("# %zu strings folded alike in C and by fr_fold\n",
                 count - mismatches);
  assert_int_equal (mismatches, 0);

  fold_map_free (map);
  db_conn_free (conn);
  snprintf (sql, sizeof sql, "DROP DATABASE %s", dbname);
  res = PQexec (admin, sql);
  assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
  PQclear (res);
  PQfinish (admin);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (exact_name_ranks_first_then_longer_then_typos),
    cmocka_unit_test (one_letter_typos_still_find_the_name),
    cmocka_unit_test (missing_or_extra_spaces_still_find_the_name),
    cmocka_unit_test (any_name_of_an_agency_matches),
    cmocka_unit_test (diacritics_fold_away_in_query_and_name),
    cmocka_unit_test (scripts_without_spaces_match_by_substring),
    cmocka_unit_test (filters_by_country_and_standing),
    cmocka_unit_test (pages_follow_each_other_without_gaps_or_repeats),
    cmocka_unit_test (empty_punctuation_and_huge_queries_are_harmless),
    cmocka_unit_test (one_scratch_serves_any_number_of_searches),
    cmocka_unit_test (builder_refuses_out_of_order_and_unknown_agencies),
    cmocka_unit_test (pruned_search_equals_scoring_every_agency),
    cmocka_unit_test (
        pruned_search_equals_scoring_every_agency_in_every_list_form),
    cmocka_unit_test (c_fold_matches_fr_fold_of_the_database),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
