/*
 * The loader (see load.h for the contract).  One import is one transaction:
 *
 *   1. import_run row inserted (the history rows refer to it);
 *   2. COPY imp_stage FROM STDIN while the reader streams the file: one row
 *      per agency, other name, officer, person, branch, licence and reject,
 *      routed by kind into the partitions of a temporary table;
 *   3. whole-file checks in SQL (duplicate licence numbers, agencies the file
 *      does not tell apart, two records for one registered agency), which
 *      add rejects;
 *   4. SAVEPOINT, then the set-based merge: agencies matched by (authority,
 *      ref), then country + registration number, then country + folded
 *      name; changed rows updated only where content differs; licences by
 *      authority + normalised number, with a history row for every real
 *      status change; a complete list delists what it does not name;
 *   5. a refused file, a dry run or a failed merge goes back to the
 *      savepoint; import_run gets its outcome, counts and rejects; COMMIT.
 *
 * Every statement here runs once per import, so none is prepared: they are
 * sent with PQexecParams, each SQL text above the function that runs it.
 *
 * Where a million-licence import spends its time (FAIRREG_IMPORT_TRACE=1
 * prints each step; bench/import.sh): not in the C reader, which streams
 * in parallel with the COPY, but per row written in the database, about
 * four million rows for a million licences (agencies, their names, officers,
 * personnel and branches, licences, their first history rows): each row's
 * index entries, its foreign-key checks, and its audit row (to_jsonb, a
 * heap row and two index entries).  All of that is kept; what the merge
 * avoids is work on top of it: staging tables spilling out of temp_buffers,
 * rewriting temporary tables in place, sorting a million keys in the
 * database's collation, joining the inserted licences back for their
 * history, JIT compilation, and the WAL flush at COMMIT.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"
#include "reader.h"
#include "record.h"
#include "request.h"

/* Bytes of COPY data gathered before they are handed to libpq. */
#define COPY_CHUNK (256 * 1024)
/* A field longer than this is refused: no register field needs more, and it
   keeps one hostile record from filling the staging tables. */
#define FIELD_MAX 4000
#define REASON_MAX 200
/* temp_buffers for an import's session, in 8 kB pages (512 MB at most,
   taken only as the staging tables grow). */
#define IMP_TEMP_BUFFERS "65536"

/* What the merge did (-1: not known). */
struct counts
{
  long long agencies_seen, agencies_inserted, agencies_updated;
  long long licences_staged, inserted, updated, delisted, status_changes;
};

#define COUNTS_UNKNOWN                                                         \
  (struct counts)                                                              \
  {                                                                            \
    -1, -1, -1, -1, -1, -1, -1, -1                                             \
  }

struct loader
{
  struct db_conn *conn;
  PGconn *pg;
  const struct imp_load_options *opt;
  char run_id[24];

  /* COPY data not yet handed to libpq. */
  char *buf;
  size_t len;
  bool copy_failed;

  /* From the list element. */
  bool list_seen;
  bool complete;
  char generated[64];
  char generated_on[16];
  bool wrong_authority;
  char refusal[512]; /* why the whole file is refused, or "" */

  /* Ordinals: seq numbers agency records, item numbers licences. */
  unsigned long long seq;
  unsigned long long item;
  unsigned long long licences_seen;
  unsigned long long records_rejected; /* by the reader, whole */
  unsigned long long rejects;          /* every reject staged */

  char error[512]; /* the failure, for outcome "failed" */

  /* The run, for import_run and the report. */
  enum imp_outcome outcome;
  time_t start_time;
  char started_by[24]; /* app_user id as text, "" for none */
  bool in_transaction;
  struct imp_read_info info;
  bool file_read; /* to its end: info's size and SHA-256 are the file's */
  struct counts c;
  json_t *listed_rejects; /* the rejects the report lists, or NULL */
  bool rejects_truncated;
  json_t *changes; /* a dry run's status changes, or NULL */
  bool changes_truncated;
  char started_at[40], finished_at[40];
};

/* ---- small checks of one record ---------------------------------------- */

static const char *const statuses[]
    = { "active",      "suspended", "revoked",  "cancelled", "expired",
        "surrendered", "banned",    "delisted", "pending",   NULL };

static const char *const name_kinds[]
    = { "trade",        "legal", "former", "transliteration",
        "abbreviation", "other", NULL };

static bool
in_list (const char *value, const char *const *list)
{
  for (const char *const *p = list; NULL != *p; p++)
    if (0 == strcmp (value, *p))
      return true;
  return false;
}

static bool
blank (const char *s)
{
  if (NULL == s)
    return true;
  for (; '\0' != *s; s++)
    if (' ' != *s && '\t' != *s && '\n' != *s && '\r' != *s)
      return false;
  return true;
}

static bool
too_long (const char *s)
{
  return NULL != s && strlen (s) > FIELD_MAX;
}

static bool
digits (const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

/* YYYY-MM-DD naming a day of the Gregorian calendar. */
static bool
date_ok (const char *s)
{
  if (10 != strlen (s) || '-' != s[4] || '-' != s[7] || !digits (s, 4)
      || !digits (s + 5, 2) || !digits (s + 8, 2))
    return false;
  int y = atoi (s), m = atoi (s + 5), d = atoi (s + 8);
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (y < 1 || m < 1 || m > 12 || d < 1)
    return false;
  bool leap = (0 == y % 4 && 0 != y % 100) || 0 == y % 400;
  return d <= days[m - 1] + ((2 == m && leap) ? 1 : 0);
}

static bool
country_ok (const char *s)
{
  return NULL != s && 2 == strlen (s) && 'A' <= s[0] && s[0] <= 'Z'
         && 'A' <= s[1] && s[1] <= 'Z';
}

static bool
alpha (char c)
{
  return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z');
}

/* The domain bcp47 of the schema: [A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*. */
static bool
lang_ok (const char *s)
{
  size_t n = 0;
  while (alpha (s[n]))
    n++;
  if (n < 2 || n > 3)
    return false;
  s += n;
  while ('-' == *s)
  {
    s++;
    n = 0;
    while (alpha (s[n]) || ('0' <= s[n] && s[n] <= '9'))
      n++;
    if (n < 1 || n > 8)
      return false;
    s += n;
  }
  return '\0' == *s;
}

/* Copies at most 60 bytes of S into OUT, cut at a character boundary so the
   reason stays valid UTF-8, with "..." when cut. */
static const char *
clip (const char *s, char out[72])
{
  size_t n = strlen (s);
  if (n <= 60)
  {
    memcpy (out, s, n + 1);
    return out;
  }
  n = 60;
  while (n > 0 && 0x80 == ((unsigned char) s[n] & 0xC0))
    n--;
  memcpy (out, s, n);
  memcpy (out + n, "...", 4);
  return out;
}

/* What is wrong with licence L, in REASON, or false if nothing. */
static bool
licence_problem (const struct imp_licence *l, char reason[REASON_MAX + 1])
{
  char c[72];
  if (blank (l->number))
    snprintf (reason, REASON_MAX + 1, "licence has no number");
  else if (too_long (l->number) || too_long (l->category)
           || too_long (l->status_reason))
    snprintf (reason, REASON_MAX + 1,
              "licence %s: a field is longer than %d bytes",
              clip (l->number, c), FIELD_MAX);
  else if (blank (l->status))
    snprintf (reason, REASON_MAX + 1, "licence %s has no status",
              clip (l->number, c));
  else if (!in_list (l->status, statuses))
  {
    char s[72];
    snprintf (reason, REASON_MAX + 1, "licence %s: unknown status \"%s\"",
              clip (l->number, c), clip (l->status, s));
  }
  else if (NULL != l->valid_from && !date_ok (l->valid_from))
    snprintf (reason, REASON_MAX + 1,
              "licence %s: validFrom is not a date (YYYY-MM-DD)",
              clip (l->number, c));
  else if (NULL != l->valid_until && !date_ok (l->valid_until))
    snprintf (reason, REASON_MAX + 1,
              "licence %s: validUntil is not a date (YYYY-MM-DD)",
              clip (l->number, c));
  else if (NULL != l->status_date && !date_ok (l->status_date))
    snprintf (reason, REASON_MAX + 1,
              "licence %s: statusDate is not a date (YYYY-MM-DD)",
              clip (l->number, c));
  else if (NULL != l->valid_from && NULL != l->valid_until
           && strcmp (l->valid_until, l->valid_from) < 0)
    snprintf (reason, REASON_MAX + 1,
              "licence %s: validUntil %s is before validFrom %s",
              clip (l->number, c), l->valid_until, l->valid_from);
  else
    return false;
  return true;
}

/* What is wrong with agency A apart from its licences, or false. */
static bool
agency_problem (const struct imp_agency *a, char reason[REASON_MAX + 1])
{
  const char *fields[]
      = { a->ref,   a->name,   a->registration_number, a->address, a->phone,
          a->email, a->website };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (too_long (fields[i]))
    {
      snprintf (reason, REASON_MAX + 1,
                "agency: a field is longer than %d bytes", FIELD_MAX);
      return true;
    }
  if (blank (a->name))
    snprintf (reason, REASON_MAX + 1, "agency has no name");
  else if (!country_ok (a->country))
    snprintf (reason, REASON_MAX + 1,
              "agency: country must be an ISO 3166-1 alpha-2 code such as "
              "PH");
  else
  {
    for (size_t i = 0; i < a->other_name_count; i++)
    {
      const struct imp_name *n = &a->other_names[i];
      if (blank (n->text) || too_long (n->text))
        snprintf (reason, REASON_MAX + 1,
                  "agency: an other name is empty or too long");
      else if (NULL != n->lang && !lang_ok (n->lang))
        snprintf (reason, REASON_MAX + 1,
                  "agency: other name language is not a BCP 47 tag");
      else if (NULL != n->kind && !in_list (n->kind, name_kinds))
        snprintf (reason, REASON_MAX + 1,
                  "agency: other name kind must be trade, legal, former, "
                  "transliteration, abbreviation or other");
      else
        continue;
      return true;
    }
    for (size_t i = 0; i < a->officer_count; i++)
      if (blank (a->officers[i].name) || too_long (a->officers[i].name)
          || too_long (a->officers[i].role))
      {
        snprintf (reason, REASON_MAX + 1,
                  "agency: an officer's name is empty or too long");
        return true;
      }
    for (size_t i = 0; i < a->personnel_count; i++)
      if (blank (a->personnel[i].name) || too_long (a->personnel[i].name)
          || too_long (a->personnel[i].registration))
      {
        snprintf (reason, REASON_MAX + 1,
                  "agency: a person's name is empty or too long");
        return true;
      }
    for (size_t i = 0; i < a->branch_count; i++)
    {
      const struct imp_branch *b = &a->branches[i];
      if (blank (b->address) || too_long (b->address) || too_long (b->city))
        snprintf (reason, REASON_MAX + 1,
                  "agency: a branch address is empty or too long");
      else if (NULL != b->country && !country_ok (b->country))
        snprintf (reason, REASON_MAX + 1,
                  "agency: a branch country must be an ISO 3166-1 alpha-2 "
                  "code");
      else
        continue;
      return true;
    }
    return false;
  }
  return true;
}

/* fr_normalise_number (schema/0001) of an all-ASCII NUMBER, into OUT: NFKC
   leaves ASCII alone, so it is lower case without white space, dots,
   slashes and hyphens.  NULL for any other number: the database normalises
   those itself.  Computed here because it costs the database more than the
   rest of the staging for a million licences. */
static const char *
ascii_number_norm (const char *number, char out[FIELD_MAX + 1])
{
  size_t n = 0;
  for (const char *p = number; '\0' != *p; p++)
  {
    unsigned char c = (unsigned char) *p;
    if (c >= 0x80)
      return NULL;
    if (' ' == c || ('\t' <= c && c <= '\r') || '.' == c || '/' == c
        || '-' == c)
      continue;
    out[n++] = ('A' <= c && c <= 'Z') ? (char) (c - 'A' + 'a') : (char) c;
  }
  out[n] = '\0';
  return out;
}

/* ---- COPY rows --------------------------------------------------------- */

/* The staging table: every row is (kind, seq, item, line, c1..c8); the views
   below name the columns of each kind. */
#define STAGE_TEXT_COLUMNS 8

static void
copy_flush (struct loader *ld)
{
  if (0 == ld->len || ld->copy_failed)
  {
    ld->len = 0;
    return;
  }
  if (1 != PQputCopyData (ld->pg, ld->buf, (int) ld->len))
  {
    ld->copy_failed = true;
    snprintf (ld->error, sizeof ld->error, "sending rows to the database: %s",
              PQerrorMessage (ld->pg));
  }
  ld->len = 0;
}

static void
put (struct loader *ld, const char *s, size_t n)
{
  if (ld->len + n > COPY_CHUNK)
    copy_flush (ld);
  if (n > COPY_CHUNK)
  {
    /* Cannot happen: fields are at most FIELD_MAX bytes, twice escaped. */
    abort ();
  }
  memcpy (ld->buf + ld->len, s, n);
  ld->len += n;
}

/* Appends "\t" and VALUE escaped for COPY's text format (NULL as \N). */
static void
put_field (struct loader *ld, const char *value)
{
  if (NULL == value)
  {
    put (ld, "\t\\N", 3);
    return;
  }
  /* Escaping at most doubles the length. */
  if (ld->len + 1 + 2 * strlen (value) > COPY_CHUNK)
    copy_flush (ld);
  char *out = ld->buf + ld->len;
  *out++ = '\t';
  for (const char *p = value; '\0' != *p; p++)
    switch (*p)
    {
    case '\\':
      *out++ = '\\';
      *out++ = '\\';
      break;
    case '\t':
      *out++ = '\\';
      *out++ = 't';
      break;
    case '\n':
      *out++ = '\\';
      *out++ = 'n';
      break;
    case '\r':
      *out++ = '\\';
      *out++ = 'r';
      break;
    default:
      *out++ = *p;
    }
  ld->len = (size_t) (out - ld->buf);
}

/* Writes one staging row of KIND with the given text columns (the rest
   NULL).  SEQ and ITEM of 0 are written as NULL. */
static void
put_row (struct loader *ld, char kind, unsigned long long seq,
         unsigned long long item, unsigned long line, unsigned ncols, ...)
{
  char head[80];
  int n = snprintf (head, sizeof head, "%c\t", kind);
  n += (0 != seq) ? snprintf (head + n, sizeof head - (size_t) n, "%llu\t", seq)
                  : snprintf (head + n, sizeof head - (size_t) n, "\\N\t");
  n += (0 != item)
           ? snprintf (head + n, sizeof head - (size_t) n, "%llu\t", item)
           : snprintf (head + n, sizeof head - (size_t) n, "\\N\t");
  n += snprintf (head + n, sizeof head - (size_t) n, "%lu", line);
  put (ld, head, (size_t) n);
  va_list ap;
  va_start (ap, ncols);
  for (unsigned i = 0; i < STAGE_TEXT_COLUMNS; i++)
    put_field (ld, (i < ncols) ? va_arg (ap, const char *) : NULL);
  va_end (ap);
  put (ld, "\n", 1);
}

static void
stage_reject (struct loader *ld, unsigned long long seq,
              unsigned long long item, unsigned long line, const char *level,
              const char *reason)
{
  put_row (ld, 'R', seq, item, line, 2, reason, level);
  ld->rejects++;
}

/* ---- the sink the reader calls ----------------------------------------- */

static int
sink_list (void *cls, const struct imp_list *list)
{
  struct loader *ld = cls;
  ld->list_seen = true;
  ld->complete = list->complete;
  snprintf (ld->generated, sizeof ld->generated, "%s",
            (NULL != list->generated) ? list->generated : "");
  snprintf (ld->generated_on, sizeof ld->generated_on, "%s",
            (NULL != list->generated_on && date_ok (list->generated_on))
                ? list->generated_on
                : "");
  if (NULL == list->authority
      || 0 != strcmp (list->authority, ld->opt->authority))
  {
    char c[72];
    ld->wrong_authority = true;
    snprintf (ld->refusal, sizeof ld->refusal,
              "the file is the list of authority %s, not of %s: check "
              "--authority (or the authority parameter)",
              (NULL != list->authority) ? clip (list->authority, c) : "(none)",
              ld->opt->authority);
    return 1;
  }
  return 0;
}

static int
sink_agency (void *cls, const struct imp_agency *a)
{
  struct loader *ld = cls;
  char reason[REASON_MAX + 1];
  ld->seq++;
  if (agency_problem (a, reason))
  {
    stage_reject (ld, 0, 0, a->line, "record", reason);
    ld->records_rejected++;
    return ld->copy_failed ? 1 : 0;
  }
  put_row (ld, 'A', ld->seq, 0, a->line, 8, a->ref, a->name, a->country,
           a->registration_number, a->address, a->phone, a->email, a->website);
  for (size_t i = 0; i < a->other_name_count; i++)
    put_row (ld, 'N', ld->seq, 0, a->line, 3, a->other_names[i].text,
             a->other_names[i].lang,
             (NULL != a->other_names[i].kind) ? a->other_names[i].kind
                                              : "other");
  for (size_t i = 0; i < a->officer_count; i++)
    put_row (ld, 'O', ld->seq, 0, a->line, 2, a->officers[i].name,
             a->officers[i].role);
  for (size_t i = 0; i < a->personnel_count; i++)
    put_row (ld, 'P', ld->seq, 0, a->line, 3, a->personnel[i].name,
             a->personnel[i].registration, a->personnel[i].role);
  for (size_t i = 0; i < a->branch_count; i++)
    put_row (ld, 'B', ld->seq, 0, a->line, 3, a->branches[i].address,
             a->branches[i].city,
             (NULL != a->branches[i].country) ? a->branches[i].country
                                              : a->country);
  for (size_t i = 0; i < a->licence_count; i++)
  {
    const struct imp_licence *l = &a->licences[i];
    unsigned long line = (0 != l->line) ? l->line : a->line;
    ld->item++;
    ld->licences_seen++;
    if (licence_problem (l, reason))
    {
      stage_reject (ld, ld->seq, ld->item, line, "licence", reason);
      continue;
    }
    char norm[FIELD_MAX + 1];
    put_row (ld, 'L', ld->seq, ld->item, line, 8, l->number, l->category,
             l->status, l->valid_from, l->valid_until, l->status_date,
             l->status_reason, ascii_number_norm (l->number, norm));
  }
  return ld->copy_failed ? 1 : 0;
}

static int
sink_reject (void *cls, const struct imp_reject *r)
{
  struct loader *ld = cls;
  char reason[REASON_MAX + 1];
  /* The reader promises at most 200 bytes; clip anyway, on a boundary. */
  size_t n = strlen (r->reason);
  if (n > REASON_MAX)
  {
    n = REASON_MAX;
    while (n > 0 && 0x80 == ((unsigned char) r->reason[n] & 0xC0))
      n--;
  }
  memcpy (reason, r->reason, n);
  reason[n] = '\0';
  stage_reject (ld, 0, 0, r->line, "record", reason);
  ld->records_rejected++;
  return ld->copy_failed ? 1 : 0;
}

static void
sink_progress (void *cls, unsigned long long bytes, unsigned long long records)
{
  struct loader *ld = cls;
  if (NULL != ld->opt->progress)
    ld->opt->progress (ld->opt->progress_cls, bytes, records);
}

/* ---- running SQL ------------------------------------------------------- */

/* Notes the failure of RES (or of the connection) in ld->error. */
static void
note_sql_error (struct loader *ld, const char *what, const PGresult *res)
{
  const char *primary = (NULL != res)
                            ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY)
                            : NULL;
  snprintf (ld->error, sizeof ld->error, "%s failed: %s", what,
            (NULL != primary) ? primary : PQerrorMessage (ld->pg));
  ld->error[strcspn (ld->error, "\n")] = '\0';
}

/* Runs SQL with text parameters; returns the result on success (caller
   clears) or NULL after noting the error. */
static double
seconds_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* FAIRREG_IMPORT_TRACE=1 times each step on stderr (benchmarks). */
static bool
tracing (void)
{
  static int trace = -1;
  if (trace < 0)
    trace = NULL != getenv ("FAIRREG_IMPORT_TRACE");
  return 0 != trace;
}

static PGresult *
sql (struct loader *ld, const char *what, const char *text, int nparams,
     const char *const *params)
{
  bool trace = tracing ();
  double started = trace ? seconds_now () : 0.0;
  /* Texts without parameters may hold several statements (PQexec); the
     result is the last one's. */
  PGresult *res = (0 == nparams) ? PQexec (ld->pg, text)
                                 : PQexecParams (ld->pg, text, nparams, NULL,
                                                 params, NULL, NULL, 0);
  if (trace)
    fprintf (stderr, "fairreg import: %-32s %8.3f s\n", what,
             seconds_now () - started);
  ExecStatusType st = PQresultStatus (res);
  if (PGRES_COMMAND_OK == st || PGRES_TUPLES_OK == st)
    return res;
  note_sql_error (ld, what, res);
  PQclear (res);
  return NULL;
}

/* Runs SQL and returns its row count (affected or returned), -1 on error. */
static long long
sql_count (struct loader *ld, const char *what, const char *text, int nparams,
           const char *const *params)
{
  PGresult *res = sql (ld, what, text, nparams, params);
  if (NULL == res)
    return -1;
  long long n = (PGRES_TUPLES_OK == PQresultStatus (res))
                    ? PQntuples (res)
                    : strtoll (PQcmdTuples (res), NULL, 10);
  PQclear (res);
  return n;
}

/* Runs a query of one row and one column and returns it as an integer, -1
   on error. */
static long long
sql_value (struct loader *ld, const char *what, const char *text, int nparams,
           const char *const *params)
{
  PGresult *res = sql (ld, what, text, nparams, params);
  if (NULL == res)
    return -1;
  long long n = (1 == PQntuples (res) && !PQgetisnull (res, 0, 0))
                    ? strtoll (PQgetvalue (res, 0, 0), NULL, 10)
                    : -1;
  PQclear (res);
  return n;
}

/* ---- the transaction, step by step ------------------------------------ */

static const char sql_authority_exists[]
    = "SELECT 1 FROM authority WHERE code = $1";

static const char sql_begin[]
    = "SELECT set_config('fairreg.actor', $1, true),"
      " set_config('fairreg.actor_user_id', coalesce($2, ''), true),"
      " set_config('fairreg.request_id', coalesce($3, ''), true),"
      " set_config('fairreg.client_addr', coalesce($4, ''), true),"
      /* an import may take minutes: no per-statement limit inside it */
      " set_config('statement_timeout', '0', true),"
      /* memory for the merge's hashes and sorts, and a GIN pending list
         large enough that the name indexes take new names in bulk */
      " set_config('work_mem', '65536', true),"
      " set_config('gin_pending_list_limit', '65536', true),"
      /* The commit is atomic either way; what this gives up is only that
         a crash in the instant after COMMIT returns may lose the whole
         import (never part of it), which its report then overstates.  The
         run is simply imported again.  It spares the flush of the import's
         WAL at COMMIT. */
      " set_config('synchronous_commit', 'off', true),"
      /* The matching query's estimates (lateral lookups into an empty or
         unanalysed register) pass the JIT thresholds, and compiling it
         with inlining and optimisation took longer than running it. */
      " set_config('jit', 'off', true),"
      /* one import of an authority at a time; others wait their turn */
      " pg_advisory_xact_lock(hashtext('fairreg.import'),"
      "                       hashtext($5))";

/* Temporary tables live in the session's own buffers, temp_buffers (8 MB
   by default): a million-licence list stages some hundreds of MB, and each
   pass over it would go through the kernel page by page.  temp_buffers can
   be set only before the session first touches a temporary table (later,
   only to the value it had then: every import sets the same), so a session
   that used one before keeps what it has.  The buffers are allocated as they
   are used, so a small list costs no more. */
static const char sql_temp_buffers[]
    = "DO $$BEGIN"
      " PERFORM set_config('temp_buffers', '" IMP_TEMP_BUFFERS "', true);"
      " EXCEPTION WHEN invalid_parameter_value THEN NULL;"
      " END$$";

/* The staging tables: one partitioned table so that one COPY stream feeds
   all of them, and views that name each kind's columns. */
static const char sql_staging[]
    = "CREATE TEMP TABLE imp_stage ("
      "  kind \"char\" NOT NULL, seq bigint, item bigint, line bigint NOT NULL,"
      "  c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text,"
      "  c8 text) PARTITION BY LIST (kind) ON COMMIT DROP;"
      "CREATE TEMP TABLE imp_stage_a PARTITION OF imp_stage"
      "  FOR VALUES IN ('A') ON COMMIT DROP;"
      "CREATE TEMP TABLE imp_stage_n PARTITION OF imp_stage"
      "  FOR VALUES IN ('N') ON COMMIT DROP;"
      "CREATE TEMP TABLE imp_stage_o PARTITION OF imp_stage"
      "  FOR VALUES IN ('O') ON COMMIT DROP;"
      "CREATE TEMP TABLE imp_stage_p PARTITION OF imp_stage"
      "  FOR VALUES IN ('P') ON COMMIT DROP;"
      "CREATE TEMP TABLE imp_stage_b PARTITION OF imp_stage"
      "  FOR VALUES IN ('B') ON COMMIT DROP;"
      "CREATE TEMP TABLE imp_stage_l PARTITION OF imp_stage"
      "  FOR VALUES IN ('L') ON COMMIT DROP;"
      "CREATE TEMP TABLE imp_stage_r PARTITION OF imp_stage"
      "  FOR VALUES IN ('R') ON COMMIT DROP;"
      "CREATE TEMP VIEW imp_agency AS SELECT seq, line, c1 AS ref,"
      "  c2 AS name, c3 AS country, c4 AS registration_number,"
      "  c5 AS address, c6 AS phone, c7 AS email, c8 AS website"
      "  FROM imp_stage_a;"
      "CREATE TEMP VIEW imp_name AS SELECT seq, line, c1 AS name,"
      "  c2 AS lang, c3 AS kind FROM imp_stage_n;"
      "CREATE TEMP VIEW imp_officer AS SELECT seq, line, c1 AS name,"
      "  c2 AS role FROM imp_stage_o;"
      "CREATE TEMP VIEW imp_personnel AS SELECT seq, line, c1 AS name,"
      "  c2 AS registration_number, c3 AS role FROM imp_stage_p;"
      "CREATE TEMP VIEW imp_branch AS SELECT seq, line, c1 AS address,"
      "  c2 AS city, c3 AS country FROM imp_stage_b;"
      "CREATE TEMP VIEW imp_reject AS SELECT seq, item, line, c1 AS reason,"
      "  c2 AS level FROM imp_stage_r";

static const char sql_run_insert[]
    = "INSERT INTO import_run (authority_code, file_name, profile, dry_run,"
      " skip_invalid, started_by)"
      " VALUES ($1, $2, $3, $4::boolean, $5::boolean, $6::bigint)"
      " RETURNING id";

static const char sql_copy[]
    = "COPY imp_stage (kind, seq, item, line, c1, c2, c3, c4, c5, c6, c7, c8)"
      " FROM STDIN";

/* Runs the reader with ld as its sink, inside COPY.  Returns false when the
   database failed (ld->error says why); a refused file returns true with
   ld->refusal set. */
static bool
stage_file (struct loader *ld, int fd, struct imp_read_info *info,
            bool *file_read)
{
  PGresult *res = PQexec (ld->pg, sql_copy);
  if (PGRES_COPY_IN != PQresultStatus (res))
  {
    note_sql_error (ld, "starting COPY", res);
    PQclear (res);
    return false;
  }
  PQclear (res);
  ld->buf = malloc (COPY_CHUNK);
  if (NULL == ld->buf)
  {
    snprintf (ld->error, sizeof ld->error, "out of memory");
    PQputCopyEnd (ld->pg, "out of memory");
    PQclear (PQgetResult (ld->pg));
    return false;
  }
  struct imp_sink sink
      = { ld, sink_list, sink_agency, sink_reject, sink_progress };
  double started = seconds_now ();
  char *read_error = NULL;
  enum imp_read_result rr = imp_read (fd, ld->opt->file_name, ld->opt->profile,
                                      &sink, info, &read_error);
  copy_flush (ld);
  free (ld->buf);
  ld->buf = NULL;
  bool ok = !ld->copy_failed;
  /* Read to its end (also when refused): its size and SHA-256 are known. */
  *file_read = IMP_READ_STOPPED != rr && 64 == strlen (info->sha256_hex);
  if (ok && IMP_READ_REFUSED == rr && '\0' == ld->refusal[0])
    snprintf (ld->refusal, sizeof ld->refusal, "%s",
              (NULL != read_error) ? read_error : "the file could not be read");
  if (ok && '\0' == ld->refusal[0] && !ld->list_seen)
    snprintf (ld->refusal, sizeof ld->refusal,
              "the file holds no licence list");
  free (read_error);
  if (1 != PQputCopyEnd (ld->pg, ok ? NULL : "import abandoned"))
  {
    note_sql_error (ld, "ending COPY", NULL);
    ok = false;
  }
  res = PQgetResult (ld->pg);
  if (PGRES_COMMAND_OK != PQresultStatus (res) && ok)
  {
    note_sql_error (ld, "COPY of the staged rows", res);
    ok = false;
  }
  PQclear (res);
  while (NULL != (res = PQgetResult (ld->pg)))
    PQclear (res);
  if (tracing ())
    fprintf (stderr, "fairreg import: %-32s %8.3f s\n",
             "reading and staging the file", seconds_now () - started);
  return ok;
}

/* The licences typed, with their normalised number (computed by the loader
   for ASCII numbers, by fr_normalise_number for the others), and the staging
   tables analysed: temporary tables have no statistics otherwise, and the
   planner needs them to choose hash joins over a million rows. */
static const char sql_licences[]
    = "CREATE TEMP VIEW imp_licence AS"
      " SELECT seq, item, line, c1 AS number, c2 AS category, c3 AS status,"
      "  c4::date AS valid_from, c5::date AS valid_until,"
      "  c6::date AS status_date, c7 AS status_reason,"
      "  coalesce(c8, fr_normalise_number(c1)) AS number_norm"
      " FROM imp_stage_l;"
      /* The partitions the merge reads, and only the columns it joins or
         groups on: the parent is only written, and the free-text columns
         would cost the sampling most and the plans nothing. */
      "ANALYZE imp_stage_a (seq, c1, c3, c4), imp_stage_l (seq, item, c1, c8),"
      " imp_stage_n (seq), imp_stage_o (seq), imp_stage_p (seq),"
      " imp_stage_b (seq), imp_stage_r (item)";

/* Whole-file checks, each adding rejects.  $1 is the authority. */
static const char sql_check_numbers[]
    = "INSERT INTO imp_stage (kind, seq, item, line, c1, c2)"
      " SELECT 'R', seq, item, line,"
      "  left(format('licence number \"%s\" has no letter or digit',"
      "              left(number, 60)), 200), 'licence'"
      " FROM imp_licence WHERE number_norm = ''";

/* The numbers that appear twice are found first by hashing (a million
   distinct numbers, none repeated, is the common case), and only theirs are
   sorted to list their lines: an ordered aggregate over every licence would
   sort the whole file by number, comparing with the database's collation. */
static const char sql_check_duplicates[]
    = "WITH twice AS ("
      "  SELECT number_norm FROM imp_licence WHERE number_norm <> ''"
      "  GROUP BY number_norm HAVING count(*) > 1),"
      " dup AS ("
      "  SELECT number_norm, count(*) AS n,"
      "   string_agg(line::text, ', ' ORDER BY line) AS lines"
      "  FROM imp_licence JOIN twice USING (number_norm)"
      "  GROUP BY number_norm)"
      " INSERT INTO imp_stage (kind, seq, item, line, c1, c2)"
      " SELECT 'R', l.seq, l.item, l.line,"
      "  left(format('licence number \"%s\" appears %s times in the file"
      " (lines %s)', left(l.number, 60), d.n, d.lines), 200), 'licence'"
      " FROM imp_licence l JOIN dup d USING (number_norm)";

/* Which registered agency each record is: by ref; else (a record with a ref
   may be an agency registered before its authority's refs were known) by
   country + registration number, then by country + folded name, skipping
   agencies that this authority knows under another ref.
   Records of one agency are grouped (grp: the first record of the group,
   whose agency fields count): the records matched to the same registered
   agency, and among the new ones those with the same ref or else the same
   registration number or else the same name.  A flat export repeats its
   agency on every licence row; a list may name an agency once per licence. */
static const char sql_match[]
    = "CREATE TEMP TABLE imp_match ON COMMIT DROP AS"
      " WITH m AS ("
      "  SELECT a.seq, a.line, coalesce(r.id, g.id, n.id) AS agency_id,"
      "   CASE WHEN a.ref IS NOT NULL THEN 'r' || a.ref"
      "    WHEN a.registration_number IS NOT NULL"
      "     THEN 'g' || a.country || ' ' || a.registration_number"
      "    ELSE 'n' || a.country || ' ' || fr_fold(a.name) END AS key"
      "  FROM imp_agency a"
      "  LEFT JOIN agency r ON r.authority_code = $1 AND r.external_ref = a.ref"
      "  LEFT JOIN LATERAL (SELECT min(x.id) AS id FROM agency x"
      "    WHERE r.id IS NULL AND a.registration_number IS NOT NULL"
      "    AND x.country = a.country"
      "    AND x.registration_number = a.registration_number"
      "    AND (a.ref IS NULL OR x.external_ref IS NULL"
      "         OR x.authority_code IS DISTINCT FROM $1)) g ON true"
      "  LEFT JOIN LATERAL (SELECT min(x.id) AS id FROM agency x"
      "    WHERE r.id IS NULL AND g.id IS NULL"
      "    AND x.country = a.country AND fr_fold(x.name) = fr_fold(a.name)"
      "    AND (a.ref IS NULL OR x.external_ref IS NULL"
      "         OR x.authority_code IS DISTINCT FROM $1)) n ON true)"
      /* Grouping only needs equality, which is bytewise in any
         deterministic collation: "C" sorts the keys with memcmp. */
      " SELECT seq, line, agency_id, false AS is_new,"
      "  min(seq) OVER (PARTITION BY coalesce(agency_id::text, key)"
      "                 COLLATE \"C\") AS grp"
      " FROM m";

/* --skip-invalid: the rejected licences are left out of the merge (records
   rejected whole were never staged). */
static const char sql_drop_rejected[]
    = "DELETE FROM imp_stage_l"
      " WHERE item IN (SELECT item FROM imp_reject WHERE level = 'licence')";

static bool
check_file (struct loader *ld)
{
  const char *auth[] = { ld->opt->authority };
  if (sql_count (ld, "normalising licence numbers", sql_licences, 0, NULL) < 0
      || sql_count (ld, "checking licence numbers", sql_check_numbers, 0, NULL)
             < 0
      || sql_count (ld, "checking duplicate numbers", sql_check_duplicates, 0,
                    NULL)
             < 0
      || sql_count (ld, "matching agencies", sql_match, 1, auth) < 0
      || sql_count (ld, "analysing matches", "ANALYZE imp_match", 0, NULL) < 0)
    return false;
  long long rejects = sql_value (ld, "counting rejects",
                                 "SELECT count(*) FROM imp_stage_r", 0, NULL);
  if (rejects < 0)
    return false;
  ld->rejects = (unsigned long long) rejects;
  if (0 != rejects && ld->opt->skip_invalid
      && sql_count (ld, "leaving out rejected records", sql_drop_rejected, 0,
                    NULL)
             < 0)
    return false;
  return true;
}

/* ---- the merge (after SAVEPOINT) --------------------------------------- */

/* One new id per new group.  The table is written afresh rather than
   updated in place: an UPDATE of every row of a temporary table writes each
   row twice and leaves the dead half for every later scan. */
static const char sql_agency_ids[]
    = "ALTER TABLE imp_match RENAME TO imp_match_found;"
      "CREATE TEMP TABLE imp_match ON COMMIT DROP AS"
      " SELECT m.seq, m.line, coalesce(m.agency_id, n.id) AS agency_id,"
      "  m.agency_id IS NULL AS is_new, m.grp"
      " FROM imp_match_found m LEFT JOIN"
      "  (SELECT grp, nextval('agency_id_seq') AS id"
      "   FROM (SELECT DISTINCT grp FROM imp_match_found"
      "         WHERE agency_id IS NULL) d) n USING (grp);"
      "DROP TABLE imp_match_found;"
      "ANALYZE imp_match";

static const char sql_agency_insert[]
    = "INSERT INTO agency (id, name, country, registration_number, address,"
      " phone, email, website, authority_code, external_ref)"
      " OVERRIDING SYSTEM VALUE"
      " SELECT m.agency_id, a.name, a.country, a.registration_number,"
      "  a.address, a.phone, a.email, a.website, $1, a.ref"
      " FROM imp_agency a JOIN imp_match m USING (seq)"
      " WHERE m.is_new AND m.seq = m.grp";

/* Changed agencies only (IS DISTINCT FROM), so that an unchanged list
   touches no row and writes no audit row.  A registered agency without a
   ref takes the file's. */
static const char sql_agency_update[]
    = "WITH u AS ("
      " UPDATE agency g SET name = a.name, country = a.country,"
      "  registration_number = a.registration_number, address = a.address,"
      "  phone = a.phone, email = a.email, website = a.website,"
      "  authority_code = CASE WHEN g.external_ref IS NULL AND a.ref IS NOT "
      "NULL"
      "   THEN $1 ELSE g.authority_code END,"
      "  external_ref = coalesce(g.external_ref, a.ref)"
      " FROM imp_agency a JOIN imp_match m USING (seq)"
      " WHERE g.id = m.agency_id AND NOT m.is_new AND m.seq = m.grp"
      "  AND ((g.name, g.country::text, g.registration_number, g.address,"
      "        g.phone, g.email, g.website)"
      "       IS DISTINCT FROM (a.name, a.country, a.registration_number,"
      "        a.address, a.phone, a.email, a.website)"
      "       OR (g.external_ref IS NULL AND a.ref IS NOT NULL))"
      " RETURNING g.id)"
      " INSERT INTO imp_changed SELECT id FROM u";

/* Other names, officers and personnel are replaced as a set, only for the
   agencies whose set differs: TABLE is the register's table, STAGED the
   staged view, COLUMNS the compared columns (the same names on both
   sides, qualified with t.). */
#define REPLACE_SET(table, staged, columns, insert_columns, insert_values)     \
  "CREATE TEMP TABLE imp_diff ON COMMIT DROP AS"                               \
  " WITH have AS ("                                                            \
  "  SELECT t.agency_id,"                                                      \
  "   array_agg(DISTINCT (" columns ") ORDER BY (" columns ")) AS v"           \
  "  FROM " table " t"                                                         \
  "  WHERE t.agency_id IN (SELECT agency_id FROM imp_match WHERE NOT is_new)"  \
  "  GROUP BY t.agency_id),"                                                   \
  " want AS ("                                                                 \
  "  SELECT m.agency_id,"                                                      \
  "   array_agg(DISTINCT (" columns ") ORDER BY (" columns ")) AS v"           \
  "  FROM " staged " t JOIN imp_match m USING (seq) WHERE NOT m.is_new"        \
  "  GROUP BY m.agency_id)"                                                    \
  " SELECT DISTINCT m.agency_id FROM imp_match m"                              \
  "  LEFT JOIN have h USING (agency_id) LEFT JOIN want w USING (agency_id)"    \
  " WHERE NOT m.is_new AND h.v IS DISTINCT FROM w.v;"                          \
  "DELETE FROM " table " WHERE agency_id IN (SELECT agency_id FROM imp_diff);" \
  "INSERT INTO " table " (agency_id, " insert_columns ")"                      \
  " SELECT DISTINCT m.agency_id, " insert_values " FROM " staged               \
  " t JOIN imp_match m USING (seq)"                                            \
  " WHERE m.is_new OR m.agency_id IN (SELECT agency_id FROM imp_diff);"        \
  "INSERT INTO imp_changed SELECT agency_id FROM imp_diff;"                    \
  "DROP TABLE imp_diff"

static const char sql_names[]
    = REPLACE_SET ("agency_name", "imp_name", "t.name, t.lang::text, t.kind",
                   "name, lang, kind", "t.name, t.lang, t.kind");

static const char sql_officers[]
    = REPLACE_SET ("agency_officer", "imp_officer", "t.name, t.role",
                   "name, role", "t.name, t.role");

static const char sql_personnel[] = REPLACE_SET (
    "agency_personnel", "imp_personnel",
    "t.name, t.registration_number, t.role", "name, registration_number, role",
    "t.name, t.registration_number, t.role");

/* Branches are never deleted (an inspection may refer to one): a branch the
   list names is listed (inserted, or listed again); a listed branch it no
   longer names is unlisted. */
static const char sql_branches[]
    = "CREATE TEMP TABLE imp_branch_want ON COMMIT DROP AS"
      " SELECT DISTINCT m.agency_id, m.is_new, b.address, b.city, b.country"
      " FROM imp_branch b JOIN imp_match m USING (seq);"
      "WITH u AS (UPDATE agency_branch b SET listed = true"
      "  FROM imp_branch_want w WHERE b.agency_id = w.agency_id"
      "  AND b.address = w.address AND b.city IS NOT DISTINCT FROM w.city"
      "  AND b.country = w.country AND NOT b.listed RETURNING b.agency_id)"
      " INSERT INTO imp_changed SELECT agency_id FROM u;"
      "WITH i AS (INSERT INTO agency_branch (agency_id, address, city, country)"
      "  SELECT w.agency_id, w.address, w.city, w.country"
      "  FROM imp_branch_want w WHERE NOT EXISTS ("
      "   SELECT FROM agency_branch b WHERE b.agency_id = w.agency_id"
      "   AND b.address = w.address AND b.city IS NOT DISTINCT FROM w.city"
      "   AND b.country = w.country)"
      "  RETURNING agency_id)"
      " INSERT INTO imp_changed SELECT agency_id FROM i;"
      "WITH u AS (UPDATE agency_branch b SET listed = false"
      "  WHERE b.listed"
      "  AND b.agency_id IN (SELECT agency_id FROM imp_match WHERE NOT is_new)"
      "  AND NOT EXISTS (SELECT FROM imp_branch_want w"
      "   WHERE b.agency_id = w.agency_id AND b.address = w.address"
      "   AND b.city IS NOT DISTINCT FROM w.city AND b.country = w.country)"
      "  RETURNING b.agency_id)"
      " INSERT INTO imp_changed SELECT agency_id FROM u";

static const char sql_agencies_updated[]
    = "SELECT count(DISTINCT c.agency_id) FROM imp_changed c"
      " JOIN imp_match m USING (agency_id) WHERE NOT m.is_new";

/* Each staged licence with its agency, the registered licence of the same
   normalised number (or, for a new one, the id it will get: nextval here,
   as for agencies, so that its history row needs no join back to the
   register) and its status before the merge.  $1 authority, $2 the list's
   date. */
static const char sql_licence_match[]
    = "CREATE TEMP TABLE imp_lmatch ON COMMIT DROP AS"
      " SELECT s.item, s.line, s.number, s.number_norm, m.agency_id,"
      "  s.category, s.valid_from, s.valid_until,"
      "  coalesce(l.id, nextval('licence_id_seq')) AS licence_id,"
      "  l.id IS NULL AS is_new,"
      "  l.listed_status::text AS old_status, s.status AS new_status,"
      "  coalesce(s.status_date, $2::date) AS effective_on, s.status_reason"
      " FROM imp_licence s JOIN imp_match m USING (seq)"
      " LEFT JOIN licence l ON l.authority_code = $1"
      "  AND l.number_norm = s.number_norm";

static const char sql_licence_insert[]
    = "INSERT INTO licence (id, authority_code, number, agency_id, category,"
      " listed_status, status_reason, valid_from, valid_until)"
      " OVERRIDING SYSTEM VALUE"
      " SELECT x.licence_id, $1, x.number, x.agency_id, x.category,"
      "  x.new_status, x.status_reason, x.valid_from, x.valid_until"
      " FROM imp_lmatch x WHERE x.is_new";

static const char sql_licence_update[]
    = "UPDATE licence l SET number = x.number, agency_id = x.agency_id,"
      " category = x.category, listed_status = x.new_status,"
      " status_reason = x.status_reason, valid_from = x.valid_from,"
      " valid_until = x.valid_until"
      " FROM imp_lmatch x"
      " WHERE l.id = x.licence_id AND NOT x.is_new"
      " AND (l.number, l.agency_id, l.category, l.listed_status::text,"
      "      l.status_reason, l.valid_from, l.valid_until)"
      "  IS DISTINCT FROM (x.number, x.agency_id, x.category, x.new_status,"
      "      x.status_reason, x.valid_from, x.valid_until)";

/* A history row for each new licence (its first status) and each real
   change of status.  $1 the run. */
static const char sql_history[]
    = "INSERT INTO licence_status_history (licence_id, status, effective_on,"
      " reason, source, import_run_id)"
      " SELECT x.licence_id, x.new_status, x.effective_on, x.status_reason,"
      "  'import', $1::bigint"
      " FROM imp_lmatch x WHERE x.old_status IS DISTINCT FROM x.new_status";

/* A complete list delists the authority's licences it does not name, with
   a history row each, effective on the list's date. */
static const char sql_delisted[]
    = "CREATE TEMP TABLE imp_delisted ON COMMIT DROP AS"
      " SELECT l.id, l.number, l.listed_status::text AS old_status"
      " FROM licence l WHERE l.authority_code = $1"
      " AND l.listed_status <> 'delisted'"
      " AND NOT EXISTS (SELECT FROM imp_lmatch s"
      "                 WHERE s.number_norm = l.number_norm)";

static const char sql_delist[]
    = "UPDATE licence l SET listed_status = 'delisted', status_reason = $1"
      " FROM imp_delisted d WHERE l.id = d.id";

static const char sql_delist_history[]
    = "INSERT INTO licence_status_history (licence_id, status, effective_on,"
      " reason, source, import_run_id)"
      " SELECT id, 'delisted', $2::date, $3, 'import', $1::bigint"
      " FROM imp_delisted";

static bool
merge (struct loader *ld, struct counts *c)
{
  const char *auth[] = { ld->opt->authority };
  c->agencies_seen
      = sql_value (ld, "counting agencies",
                   "SELECT count(DISTINCT grp) FROM imp_match", 0, NULL);
  c->licences_staged = sql_value (ld, "counting licences",
                                  "SELECT count(*) FROM imp_licence", 0, NULL);
  if (c->agencies_seen < 0 || c->licences_staged < 0)
    return false;
  if (sql_count (ld, "numbering new agencies", sql_agency_ids, 0, NULL) < 0)
    return false;
  c->agencies_inserted
      = sql_value (ld, "counting new agencies",
                   "SELECT count(DISTINCT agency_id) FROM imp_match"
                   " WHERE is_new",
                   0, NULL);
  if (c->agencies_inserted < 0
      || sql_count (ld, "inserting agencies", sql_agency_insert, 1, auth) < 0
      || sql_count (ld, "noting changed agencies",
                    "CREATE TEMP TABLE imp_changed (agency_id bigint)"
                    " ON COMMIT DROP",
                    0, NULL)
             < 0
      || sql_count (ld, "updating agencies", sql_agency_update, 1, auth) < 0
      || sql_count (ld, "replacing other names", sql_names, 0, NULL) < 0
      || sql_count (ld, "replacing officers", sql_officers, 0, NULL) < 0
      || sql_count (ld, "replacing personnel", sql_personnel, 0, NULL) < 0
      || sql_count (ld, "listing branches", sql_branches, 0, NULL) < 0)
    return false;
  c->agencies_updated = sql_value (ld, "counting updated agencies",
                                   sql_agencies_updated, 0, NULL);
  if (c->agencies_updated < 0)
    return false;

  const char *match_params[] = { ld->opt->authority, ld->generated_on };
  const char *run_param[] = { ld->run_id };
  if (sql_count (ld, "matching licences", sql_licence_match, 2, match_params)
          < 0
      || sql_count (ld, "analysing licence matches", "ANALYZE imp_lmatch", 0,
                    NULL)
             < 0)
    return false;
  c->inserted
      = sql_count (ld, "inserting licences", sql_licence_insert, 1, auth);
  c->updated = (c->inserted < 0) ? -1
                                 : sql_count (ld, "updating licences",
                                              sql_licence_update, 0, NULL);
  c->status_changes = (c->updated < 0)
                          ? -1
                          : sql_count (ld, "writing licence history",
                                       sql_history, 1, run_param);
  if (c->status_changes < 0)
    return false;
  /* A new licence's first status is history, not a change. */
  c->status_changes -= c->inserted;
  c->delisted = 0;
  if (ld->complete && !ld->opt->skip_invalid)
  {
    char reason[128];
    snprintf (reason, sizeof reason, "not in the complete list generated on %s",
              ld->generated_on);
    const char *params[]
        = { ld->opt->authority, ld->run_id, ld->generated_on, reason };
    const char *reason_param[] = { reason };
    if (sql_count (ld, "finding licences to delist", sql_delisted, 1, params)
            < 0
        || (c->delisted
            = sql_count (ld, "delisting licences", sql_delist, 1, reason_param))
               < 0
        || sql_count (ld, "writing delisting history", sql_delist_history, 3,
                      params + 1)
               < 0)
      return false;
  }
  return true;
}

/* What a dry run reports: each licence whose status would change. */
static const char sql_changes[]
    = "SELECT number, \"from\", \"to\" FROM ("
      "  SELECT x.number, x.old_status AS \"from\", x.new_status AS \"to\","
      "   x.line FROM imp_lmatch x"
      "  WHERE x.old_status IS DISTINCT FROM x.new_status"
      "  UNION ALL"
      "  SELECT d.number, d.old_status, 'delisted', NULL FROM imp_delisted d)"
      " AS c ORDER BY line NULLS LAST, number LIMIT $1";

static const char sql_changes_no_delist[]
    = "SELECT x.number, x.old_status AS \"from\", x.new_status AS \"to\""
      " FROM imp_lmatch x WHERE x.old_status IS DISTINCT FROM x.new_status"
      " ORDER BY x.line, x.number LIMIT $1";

static json_t *
rows_to_array (PGresult *res, const char *const *names, size_t count,
               bool *truncated)
{
  json_t *array = json_array ();
  int rows = PQntuples (res);
  *truncated = rows > IMP_REPORT_MAX_ITEMS;
  for (int r = 0; r < rows && r < IMP_REPORT_MAX_ITEMS; r++)
  {
    json_t *item = json_object ();
    for (size_t c = 0; c < count; c++)
    {
      json_t *v;
      if (PQgetisnull (res, r, (int) c))
        v = json_null ();
      else if (0 == strcmp (names[c], "line"))
        v = json_integer (strtoll (PQgetvalue (res, r, (int) c), NULL, 10));
      else
        v = json_string (PQgetvalue (res, r, (int) c));
      json_object_set_new (item, names[c], v);
    }
    json_array_append_new (array, item);
  }
  return array;
}

static json_t *
fetch_changes (struct loader *ld, bool *truncated)
{
  char limit[24];
  snprintf (limit, sizeof limit, "%d", IMP_REPORT_MAX_ITEMS + 1);
  const char *params[] = { limit };
  bool delisting = ld->complete && !ld->opt->skip_invalid;
  PGresult *res
      = sql (ld, "listing status changes",
             delisting ? sql_changes : sql_changes_no_delist, 1, params);
  if (NULL == res)
    return NULL;
  static const char *const names[] = { "number", "from", "to" };
  json_t *changes = rows_to_array (res, names, 3, truncated);
  PQclear (res);
  return changes;
}

/* ---- recording the run ------------------------------------------------- */

/* $1 run, $2 outcome, $3 error, $4 sha256 (hex), $5 size, $6 scope, $7 seen,
   $8 inserted, $9 updated, $10 unchanged, $11 delisted, $12 rejected; the
   rejects are taken from the staging table. */
static const char sql_run_finish[]
    = "UPDATE import_run SET finished_at = clock_timestamp(), outcome = $2,"
      " error = $3, sha256 = decode($4, 'hex'), size_bytes = $5::bigint,"
      " scope = $6, seen = $7::int, inserted = $8::int, updated = $9::int,"
      " unchanged = $10::int, delisted = $11::int, rejected = $12::int,"
      " rejects = coalesce((SELECT jsonb_agg(jsonb_build_object("
      "   'line', r.line, 'reason', r.reason) ORDER BY r.line, r.item)"
      "  FROM imp_reject r), '[]')"
      " WHERE id = $1::bigint"
      " RETURNING to_char(started_at AT TIME ZONE 'UTC',"
      "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " to_char(finished_at AT TIME ZONE 'UTC',"
      "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

/* The run of a transaction that could not be saved: recorded afresh. */
static const char sql_run_failed[]
    = "INSERT INTO import_run (authority_code, file_name, profile, dry_run,"
      " skip_invalid, started_by, started_at, finished_at, outcome, error,"
      " sha256, size_bytes, scope, seen, rejected)"
      " VALUES ($1, $2, $3, $4::boolean, $5::boolean, $6::bigint,"
      "  $7::timestamptz, clock_timestamp(), 'failed', $8, decode($9, 'hex'),"
      "  $10::bigint, $11, $12::int, $13::int)"
      " RETURNING id, to_char(started_at AT TIME ZONE 'UTC',"
      "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " to_char(finished_at AT TIME ZONE 'UTC',"
      "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

static const char sql_rejects[]
    = "SELECT line, reason FROM imp_reject ORDER BY line, item LIMIT $1";

const char *
imp_outcome_name (enum imp_outcome outcome)
{
  switch (outcome)
  {
  case IMP_IMPORTED:
    return "imported";
  case IMP_DRY_RUN:
    return "dry_run";
  case IMP_REFUSED:
    return "refused";
  case IMP_FAILED:
    return "failed";
  case IMP_BAD_AUTHORITY:
    return "bad_authority";
  case IMP_NO_DATABASE:
    return "no_database";
  }
  return "failed";
}

static json_t *
short_report (enum imp_outcome outcome, const char *error)
{
  return json_pack ("{s:s, s:s}", "outcome", imp_outcome_name (outcome),
                    "error", error);
}

static json_t *
count_or_null (long long n)
{
  return (n >= 0) ? json_integer (n) : json_null ();
}

static const char *
scope_text (const struct loader *ld)
{
  return ld->list_seen ? (ld->complete ? "complete" : "partial") : NULL;
}

/* Why the run ended as it did, or NULL. */
static const char *
run_error (const struct loader *ld)
{
  return (IMP_REFUSED == ld->outcome)  ? ld->refusal
         : (IMP_FAILED == ld->outcome) ? ld->error
                                       : NULL;
}

/* Opens the transaction with its audit context and staging tables, and
   inserts the run (the history rows the merge writes refer to it). */
static bool
begin_run (struct loader *ld)
{
  const struct imp_load_options *opt = ld->opt;
  const struct db_audit_context *audit = opt->audit;
  char user_id[24], actor[64];
  const char *user_param = NULL;
  if (NULL != audit && NULL != audit->who && audit->who->authenticated)
  {
    snprintf (user_id, sizeof user_id, "%lld", (long long) audit->who->user_id);
    user_param = user_id;
    snprintf (actor, sizeof actor, "user:%s", user_id);
  }
  else
    snprintf (actor, sizeof actor, "%s",
              (NULL != audit && NULL != audit->actor) ? audit->actor
                                                      : "import");
  const char *begin_params[]
      = { actor, user_param, (NULL != audit) ? audit->request_id : NULL,
          (NULL != audit) ? audit->client_addr : NULL, opt->authority };
  const char *run_params[]
      = { opt->authority,
          opt->file_name,
          opt->profile_name,
          opt->dry_run ? "true" : "false",
          opt->skip_invalid ? "true" : "false",
          ('\0' != ld->started_by[0]) ? ld->started_by : NULL };
  if (sql_count (ld, "BEGIN", "BEGIN", 0, NULL) < 0)
    return false;
  ld->in_transaction = true;
  if (sql_count (ld, "setting the audit context", sql_begin, 5, begin_params)
          < 0
      || sql_count (ld, "sizing the staging buffers", sql_temp_buffers, 0, NULL)
             < 0
      || sql_count (ld, "creating the staging tables", sql_staging, 0, NULL)
             < 0)
    return false;
  long long run
      = sql_value (ld, "recording the run", sql_run_insert, 6, run_params);
  if (run < 0)
    return false;
  snprintf (ld->run_id, sizeof ld->run_id, "%lld", run);
  return true;
}

/* Reads and stages the file, checks it and, unless it is refused, merges it
   after a savepoint (rolled back for a dry run or a failed merge).  Sets
   ld->outcome.  False when the transaction is lost. */
static bool
stage_check_merge (struct loader *ld, int fd)
{
  const struct imp_load_options *opt = ld->opt;
  if (!stage_file (ld, fd, &ld->info, &ld->file_read))
    return false;
  /* The file is read: the progress shows it whole while the merge runs. */
  if (NULL != opt->progress && ld->file_read)
    opt->progress (opt->progress_cls, ld->info.bytes, ld->info.records);
  if ('\0' == ld->generated_on[0])
  {
    /* No usable generated date: the list is dated by the day of import. */
    struct tm tm;
    gmtime_r (&ld->start_time, &tm);
    strftime (ld->generated_on, sizeof ld->generated_on, "%Y-%m-%d", &tm);
  }
  if ('\0' == ld->refusal[0] && 0 == ld->seq)
    /* An empty export must not delist a whole register. */
    snprintf (ld->refusal, sizeof ld->refusal,
              "the list has no agency record: nothing to import");
  if ('\0' != ld->refusal[0])
  {
    ld->outcome = IMP_REFUSED;
    return true;
  }
  if (!check_file (ld))
    return false;
  if (0 != ld->rejects && !opt->skip_invalid)
  {
    ld->outcome = IMP_REFUSED;
    snprintf (ld->refusal, sizeof ld->refusal,
              "%llu invalid record%s: nothing was imported (all or nothing; "
              "--skip-invalid imports the valid ones)",
              ld->rejects, (1 == ld->rejects) ? "" : "s");
    return true;
  }
  if (sql_count (ld, "SAVEPOINT", "SAVEPOINT imp_merge", 0, NULL) < 0)
    return false;
  if (!merge (ld, &ld->c))
  {
    ld->outcome = IMP_FAILED;
    ld->c = COUNTS_UNKNOWN;
    return sql_count (ld, "ROLLBACK TO SAVEPOINT",
                      "ROLLBACK TO SAVEPOINT imp_merge", 0, NULL)
           >= 0;
  }
  if (!opt->dry_run)
  {
    ld->outcome = IMP_IMPORTED;
    return true;
  }
  ld->outcome = IMP_DRY_RUN;
  ld->changes = fetch_changes (ld, &ld->changes_truncated);
  return NULL != ld->changes
         && sql_count (ld, "ROLLBACK TO SAVEPOINT",
                       "ROLLBACK TO SAVEPOINT imp_merge", 0, NULL)
                >= 0;
}

/* The counts of import_run as text: seen, inserted, updated, unchanged,
   delisted, rejected. */
static void
count_texts (const struct loader *ld, char out[6][24])
{
  bool merged = IMP_IMPORTED == ld->outcome || IMP_DRY_RUN == ld->outcome;
  const struct counts *c = &ld->c;
  snprintf (out[0], 24, "%llu", ld->licences_seen + ld->records_rejected);
  snprintf (out[1], 24, "%lld", merged ? c->inserted : 0);
  snprintf (out[2], 24, "%lld", merged ? c->updated : 0);
  snprintf (out[3], 24, "%lld",
            merged ? c->licences_staged - c->inserted - c->updated : 0);
  snprintf (out[4], 24, "%lld", merged ? c->delisted : 0);
  snprintf (out[5], 24, "%llu", ld->rejects);
}

/* Records the outcome in import_run, fetches the rejects for the report,
   and commits.  False when the transaction is lost. */
static bool
finish_run (struct loader *ld)
{
  char counts[6][24], size[24];
  count_texts (ld, counts);
  snprintf (size, sizeof size, "%llu", ld->info.bytes);
  const char *params[] = { ld->run_id,
                           imp_outcome_name (ld->outcome),
                           run_error (ld),
                           ld->file_read ? ld->info.sha256_hex : NULL,
                           ld->file_read ? size : NULL,
                           scope_text (ld),
                           counts[0],
                           counts[1],
                           counts[2],
                           counts[3],
                           counts[4],
                           counts[5] };
  /* The statement's own error would overwrite the error being recorded. */
  char error[sizeof ld->error];
  memcpy (error, ld->error, sizeof error);
  PGresult *res
      = sql (ld, "finishing the run record", sql_run_finish, 12, params);
  if (NULL == res)
    return false;
  memcpy (ld->error, error, sizeof error);
  snprintf (ld->started_at, sizeof ld->started_at, "%s",
            PQgetvalue (res, 0, 0));
  snprintf (ld->finished_at, sizeof ld->finished_at, "%s",
            PQgetvalue (res, 0, 1));
  PQclear (res);

  char limit[24];
  snprintf (limit, sizeof limit, "%d", IMP_REPORT_MAX_ITEMS + 1);
  const char *limit_param[] = { limit };
  res = sql (ld, "listing rejects", sql_rejects, 1, limit_param);
  if (NULL == res)
    return false;
  static const char *const names[] = { "line", "reason" };
  ld->listed_rejects = rows_to_array (res, names, 2, &ld->rejects_truncated);
  PQclear (res);
  bool committed = sql_count (ld, "COMMIT", "COMMIT", 0, NULL) >= 0;
  ld->in_transaction = false;
  return committed;
}

/* The transaction is lost: rolls it back and records the run afresh as
   failed, with what C knows (the staged rejects went with the transaction).
   False when the database cannot be reached at all. */
static bool
record_failed_run (struct loader *ld)
{
  const struct imp_load_options *opt = ld->opt;
  json_decref (ld->changes);
  json_decref (ld->listed_rejects);
  ld->changes = NULL;
  ld->listed_rejects = NULL;
  ld->c = COUNTS_UNKNOWN;
  ld->outcome = IMP_FAILED;
  ld->run_id[0] = '\0';
  if (ld->in_transaction && CONNECTION_OK == PQstatus (ld->pg))
    PQclear (PQexec (ld->pg, "ROLLBACK"));
  ld->in_transaction = false;
  if (CONNECTION_OK != PQstatus (ld->pg))
    return false;
  char start[40], size[24], counts[6][24];
  struct tm tm;
  gmtime_r (&ld->start_time, &tm);
  strftime (start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", &tm);
  snprintf (size, sizeof size, "%llu", ld->info.bytes);
  count_texts (ld, counts);
  const char *params[] = { opt->authority,
                           opt->file_name,
                           opt->profile_name,
                           opt->dry_run ? "true" : "false",
                           opt->skip_invalid ? "true" : "false",
                           ('\0' != ld->started_by[0]) ? ld->started_by : NULL,
                           start,
                           ld->error,
                           ld->file_read ? ld->info.sha256_hex : NULL,
                           ld->file_read ? size : NULL,
                           scope_text (ld),
                           counts[0],
                           counts[5] };
  char error[sizeof ld->error];
  memcpy (error, ld->error, sizeof error);
  PGresult *res
      = sql (ld, "recording the failed run", sql_run_failed, 13, params);
  memcpy (ld->error, error, sizeof error);
  if (NULL != res)
  {
    snprintf (ld->run_id, sizeof ld->run_id, "%s", PQgetvalue (res, 0, 0));
    snprintf (ld->started_at, sizeof ld->started_at, "%s",
              PQgetvalue (res, 0, 1));
    snprintf (ld->finished_at, sizeof ld->finished_at, "%s",
              PQgetvalue (res, 0, 2));
    PQclear (res);
  }
  return true;
}

static json_t *
text_or_null (const char *text)
{
  return (NULL != text && '\0' != text[0]) ? json_string (text) : json_null ();
}

/* The report of load.h; takes the rejects and changes from LD. */
static json_t *
make_report (struct loader *ld)
{
  const struct imp_load_options *opt = ld->opt;
  const struct counts *c = &ld->c;
  bool merged = IMP_IMPORTED == ld->outcome || IMP_DRY_RUN == ld->outcome;
  json_t *r = json_object ();
  json_object_set_new (r, "import_run",
                       ('\0' != ld->run_id[0])
                           ? json_integer (strtoll (ld->run_id, NULL, 10))
                           : json_null ());
  json_object_set_new (r, "authority", json_string (opt->authority));
  json_object_set_new (r, "file", json_string (opt->file_name));
  json_object_set_new (r, "profile", text_or_null (opt->profile_name));
  json_object_set_new (r, "outcome",
                       json_string (imp_outcome_name (ld->outcome)));
  json_object_set_new (r, "error", text_or_null (run_error (ld)));
  json_object_set_new (r, "dry_run", json_boolean (opt->dry_run));
  json_object_set_new (r, "skip_invalid", json_boolean (opt->skip_invalid));
  json_object_set_new (r, "scope", text_or_null (scope_text (ld)));
  json_object_set_new (r, "generated", text_or_null (ld->generated));
  json_object_set_new (
      r, "sha256", text_or_null (ld->file_read ? ld->info.sha256_hex : NULL));
  json_object_set_new (r, "size_bytes",
                       ld->file_read
                           ? json_integer ((json_int_t) ld->info.bytes)
                           : json_null ());
  json_object_set_new (r, "started_at", text_or_null (ld->started_at));
  json_object_set_new (r, "finished_at", text_or_null (ld->finished_at));
  json_object_set_new (
      r, "counts",
      json_pack (
          "{s:I, s:o, s:o, s:o, s:o, s:I}", "seen",
          (json_int_t) (ld->licences_seen + ld->records_rejected), "inserted",
          count_or_null (merged ? c->inserted : 0), "updated",
          count_or_null (merged ? c->updated : 0), "unchanged",
          count_or_null (merged ? c->licences_staged - c->inserted - c->updated
                                : 0),
          "delisted", count_or_null (merged ? c->delisted : 0), "rejected",
          (json_int_t) ld->rejects));
  json_object_set_new (
      r, "agencies",
      /* Seen: agencies once a merge grouped the records, else records. */
      json_pack ("{s:o, s:o, s:o, s:o}", "seen",
                 merged ? count_or_null (c->agencies_seen)
                        : json_integer ((json_int_t) ld->seq),
                 "inserted", count_or_null (merged ? c->agencies_inserted : 0),
                 "updated", count_or_null (merged ? c->agencies_updated : 0),
                 "unchanged",
                 count_or_null (merged ? c->agencies_seen - c->agencies_inserted
                                             - c->agencies_updated
                                       : 0)));
  json_object_set_new (r, "status_changes",
                       count_or_null (merged ? c->status_changes : 0));
  json_object_set_new (r, "rejects",
                       (NULL != ld->listed_rejects) ? ld->listed_rejects
                                                    : json_array ());
  json_object_set_new (r, "rejects_truncated",
                       json_boolean (ld->rejects_truncated));
  json_object_set_new (r, "changes",
                       (NULL != ld->changes) ? ld->changes : json_array ());
  json_object_set_new (r, "changes_truncated",
                       json_boolean (ld->changes_truncated));
  ld->listed_rejects = NULL;
  ld->changes = NULL;
  return r;
}

enum imp_outcome
imp_load (struct db_conn *conn, int fd, const struct imp_load_options *opt,
          json_t **report)
{
  struct loader ld = { .conn = conn,
                       .pg = db_pg (conn),
                       .opt = opt,
                       .outcome = IMP_FAILED,
                       .start_time = time (NULL),
                       .c = COUNTS_UNKNOWN };
  if (opt->started_by > 0)
    snprintf (ld.started_by, sizeof ld.started_by, "%lld",
              (long long) opt->started_by);

  /* An authority that does not exist is bad usage, not a run: import_run
     cannot name it. */
  const char *auth[] = { opt->authority };
  PGresult *res
      = sql (&ld, "looking up the authority", sql_authority_exists, 1, auth);
  if (NULL == res)
  {
    *report = short_report (IMP_NO_DATABASE, ld.error);
    return IMP_NO_DATABASE;
  }
  bool known = 1 == PQntuples (res);
  PQclear (res);
  if (!known)
  {
    char message[256];
    snprintf (message, sizeof message,
              "there is no authority %s: list them with GET /v1/authorities, "
              "add one with `fairreg authority add`",
              opt->authority);
    *report = short_report (IMP_BAD_AUTHORITY, message);
    return IMP_BAD_AUTHORITY;
  }

  if (!(begin_run (&ld) && stage_check_merge (&ld, fd) && finish_run (&ld))
      && !record_failed_run (&ld))
  {
    *report = short_report (IMP_NO_DATABASE, ld.error);
    return IMP_NO_DATABASE;
  }
  *report = make_report (&ld);
  return ld.outcome;
}
