/*
 * bench/search-micro.c: the CPU of one name search, without HTTP, database
 * or load generator.
 *
 * Why: the end-to-end benchmark (bench/api.sh) runs the server and wrk on the
 * same two cores for minutes and reports wall-clock latency, too noisy to
 * tell a 10% change in the search apart.  This driver builds the index from
 * the data bench/search-data.sh dumped (the benchmark registry at 100k and at
 * 1M agencies, folded by the database's fr_fold, and the folded benchmark
 * queries), runs every query as the server does (first page of 20, no
 * filter unless asked) in one thread and reports the thread's CPU per
 * search: the mean and the 50th, 95th and 99th percentiles of each query's
 * CPU (the least of the rounds: the noise of a shared machine only adds).
 * With --dump FILE it also writes every query's hits (first page, and the
 * second through its cursor) so that two builds of the index can be
 * compared hit for hit.  Not built by the Makefile:
 *
 *   bench/search-data.sh               # once: build/bench-data/search/
 *   cc -D_GNU_SOURCE -Iserver -std=c11 -O2 $(pkg-config --cflags jansson) \
 *      -o build/search-micro bench/search-micro.c build/libfairreg.a \
 *      $(pkg-config --libs libmicrohttpd libpq jansson libxml-2.0 \
 *        libsodium libqrencode) -lpthread -lm
 *   D=build/bench-data/search
 *   build/search-micro $D/agencies-1m.tsv $D/names-1m.tsv \
 *      $D/queries-1m.txt [--rounds R] [--dump FILE] [--limit N]
 *      [--country CC] [--standing 0|1]
 *
 * Link it with another search_index.o before libfairreg.a to measure another
 * version of the search under the same data (run the two in turn, a few
 * times: only numbers taken side by side compare).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "search_index.h"

/* Undoes COPY's text escapes in place; returns the new length. */
static size_t
unescape (char *s, size_t len)
{
  size_t out = 0;
  for (size_t i = 0; i < len; i++)
  {
    char c = s[i];
    if ('\\' == c && i + 1 < len)
    {
      char e = s[++i];
      c = ('n' == e) ? '\n' : ('t' == e) ? '\t' : ('r' == e) ? '\r' : e;
    }
    s[out++] = c;
  }
  return out;
}

/* Splits LINE at tabs into at most MAX fields; returns the count. */
static int
fields (char *line, char **f, int max)
{
  int n = 0;
  char *p = line;
  while (n < max)
  {
    f[n++] = p;
    char *tab = strchr (p, '\t');
    if (NULL == tab)
      break;
    *tab = '\0';
    p = tab + 1;
  }
  return n;
}

static FILE *
open_or_die (const char *path, const char *mode)
{
  FILE *f = fopen (path, mode);
  if (NULL == f)
  {
    perror (path);
    exit (1);
  }
  return f;
}

static double
thread_cpu_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int
double_cmp (const void *a, const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;
  return (x > y) - (x < y);
}

static long
peak_rss_kb (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int
main (int argc, char **argv)
{
  if (argc < 4)
  {
    fprintf (stderr,
             "usage: %s AGENCIES.tsv NAMES.tsv QUERIES.txt [--rounds R] "
             "[--dump FILE] [--limit N]\n",
             argv[0]);
    return 2;
  }
  int rounds = 3;
  const char *dump = NULL;
  size_t limit = 20;
  struct search_filter filter = { "", -1 };
  for (int i = 4; i + 1 < argc; i += 2)
  {
    if (0 == strcmp (argv[i], "--rounds"))
      rounds = atoi (argv[i + 1]);
    else if (0 == strcmp (argv[i], "--dump"))
      dump = argv[i + 1];
    else if (0 == strcmp (argv[i], "--limit"))
      limit = (size_t) atoi (argv[i + 1]);
    else if (0 == strcmp (argv[i], "--country"))
      snprintf (filter.country, sizeof filter.country, "%s", argv[i + 1]);
    else if (0 == strcmp (argv[i], "--standing"))
      filter.standing = atoi (argv[i + 1]);
  }
  if (limit < 1 || limit > 100)
    limit = 20;

  double t0 = now_ms ();
  struct search_index_builder *b = search_index_builder_new ();
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  FILE *in = open_or_die (argv[1], "r");
  while ((got = getline (&line, &cap, in)) > 0)
  {
    if ('\n' == line[got - 1])
      line[--got] = '\0';
    char *f[4];
    if (4 != fields (line, f, 4))
      continue;
    size_t len = unescape (f[3], strlen (f[3]));
    int64_t id = strtoll (f[0], NULL, 10);
    if (!search_index_builder_add_agency (b, id, f[1], 't' == f[2][0], NULL, 0)
        || !search_index_builder_add_name (b, id, f[3], len))
    {
      fprintf (stderr, "bad agency line: %s\n", f[0]);
      return 1;
    }
  }
  fclose (in);
  in = open_or_die (argv[2], "r");
  while ((got = getline (&line, &cap, in)) > 0)
  {
    if ('\n' == line[got - 1])
      line[--got] = '\0';
    char *f[2];
    if (2 != fields (line, f, 2))
      continue;
    size_t len = unescape (f[1], strlen (f[1]));
    search_index_builder_add_name (b, strtoll (f[0], NULL, 10), f[1], len);
  }
  fclose (in);
  double t1 = now_ms ();
  struct search_index *idx = search_index_builder_finish (b);
  double t2 = now_ms ();
  struct search_index_stats st;
  search_index_stats (idx, &st);
  printf ("index: %zu agencies, %zu names, %zu trigrams, %zu postings, "
          "%.1f MB; read in %.0f ms, built in %.0f ms; peak RSS %.1f MB\n",
          st.agencies, st.names, st.trigrams, st.postings,
          (double) st.bytes / (1024.0 * 1024.0), t1 - t0, t2 - t1,
          (double) peak_rss_kb () / 1024.0);

  size_t nq = 0;
  size_t qcap = 0;
  char **queries = NULL;
  size_t *qlen = NULL;
  in = open_or_die (argv[3], "r");
  while ((got = getline (&line, &cap, in)) > 0)
  {
    if ('\n' == line[got - 1])
      line[--got] = '\0';
    if (nq == qcap)
    {
      qcap = 2 * qcap + 1024;
      queries = realloc (queries, qcap * sizeof *queries);
      qlen = realloc (qlen, qcap * sizeof *qlen);
      if (NULL == queries || NULL == qlen)
        abort ();
    }
    qlen[nq] = unescape (line, (size_t) got);
    queries[nq] = malloc (qlen[nq] + 1);
    if (NULL == queries[nq])
      abort ();
    memcpy (queries[nq], line, qlen[nq]);
    queries[nq][qlen[nq]] = '\0';
    nq++;
  }
  fclose (in);
  free (line);

  struct search_scratch *s = search_scratch_new ();
  struct search_hit hits[100];
  bool more;
  if (NULL != dump)
  {
    FILE *out = open_or_die (dump, "w");
    for (size_t i = 0; i < nq; i++)
    {
      size_t n = search_index_query (idx, s, queries[i], qlen[i], &filter, NULL,
                                     hits, limit, &more);
      fprintf (out, "%zu %d", n, more ? 1 : 0);
      for (size_t k = 0; k < n; k++)
        fprintf (out, " %" PRId64 ":%u", hits[k].agency_id, hits[k].score);
      if (more && n > 0)
      {
        struct search_after after
            = { true, hits[n - 1].score, hits[n - 1].agency_id };
        n = search_index_query (idx, s, queries[i], qlen[i], &filter, &after,
                                hits, limit, &more);
        fprintf (out, " | %zu %d", n, more ? 1 : 0);
        for (size_t k = 0; k < n; k++)
          fprintf (out, " %" PRId64 ":%u", hits[k].agency_id, hits[k].score);
      }
      fputc ('\n', out);
    }
    fclose (out);
  }

  double *each = calloc (nq, sizeof *each);
  if (NULL == each)
    abort ();
  double best_total = 0;
  for (int r = 0; r < rounds; r++)
  {
    double total = 0;
    for (size_t i = 0; i < nq; i++)
    {
      double c0 = thread_cpu_us ();
      search_index_query (idx, s, queries[i], qlen[i], &filter, NULL, hits,
                          limit, &more);
      double c = thread_cpu_us () - c0;
      total += c;
      if (0 == r || c < each[i])
        each[i] = c; /* the least of the rounds: the noise only adds */
    }
    printf ("round %d: %.1f us CPU per search (mean of %zu)\n", r + 1,
            total / (double) nq, nq);
    if (0 == r || total < best_total)
      best_total = total;
  }
  qsort (each, nq, sizeof *each, double_cmp);
  double sum = 0;
  for (size_t i = 0; i < nq; i++)
    sum += each[i];
  printf ("per search, least of %d rounds: mean %.1f us, p50 %.1f, p95 %.1f, "
          "p99 %.1f, max %.1f; best round mean %.1f us; peak RSS %.1f MB\n",
          rounds, sum / (double) nq, each[nq / 2], each[nq * 95 / 100],
          each[nq * 99 / 100], each[nq - 1], best_total / (double) nq,
          (double) peak_rss_kb () / 1024.0);
  free (each);
  for (size_t i = 0; i < nq; i++)
    free (queries[i]);
  free (queries);
  free (qlen);
  search_scratch_free (s);
  search_index_free (idx);
  return 0;
}
