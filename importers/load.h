/*
 * The loader: the one code path by which a licence list reaches the
 * register, for `fairreg import`, the HTTP upload and `fairreg demo` alike.
 *
 * imp_load() runs a reader (reader.h) over an open file and is its sink: each
 * agency record is written, as it arrives, with COPY ... FROM STDIN into
 * temporary staging tables (nothing of a record is kept in C after its
 * callback, so memory stays flat whatever the file size).  Then, in the same
 * transaction, set-based SQL checks the file as a whole (duplicate numbers,
 * ambiguous agencies), merges it into agencies, their names, officers,
 * personnel and branches, and licences with their status history, and
 * records the run in import_run.  A refused file, a dry run or a failed
 * merge is rolled back to a savepoint taken before the merge, so the run is
 * recorded while the register is left exactly as it was; a process killed
 * midway leaves nothing at all.
 *
 * Decisions a reader of the register should know:
 *  - Records of one agency are merged, not refused: the records a file gives
 *    the same ref (or, without ref, the same registration number, or else
 *    the same country and folded name), and records matched to the same
 *    registered agency.  A flat export repeats its agency on every licence
 *    row.  The first such record's agency fields count; other names,
 *    officers, personnel and branches are the union of the records'.
 *  - A licence's category is the authority's own free text (landbased,
 *    seabased, class_a...), not a vocabulary of fairreg.
 *  - A new licence gets a history row for its first status; afterwards only
 *    a real change of status writes one.  Content is compared, never the
 *    file's hash: an unchanged list exported again changes nothing, writes
 *    no history and so no audit row.
 *  - A list with no agency record is refused (an empty export must not
 *    delist a whole register).  A list without a usable generated date is
 *    dated by the day of the import.
 *  - Other names, officers and personnel are replaced as a set when the set
 *    differs; branches are never deleted (inspections refer to them): a
 *    branch the list no longer names is unlisted.
 */
#ifndef FAIRREG_IMPORTERS_LOAD_H
#define FAIRREG_IMPORTERS_LOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

struct imp_profile;

/* How a run ended; also import_run.outcome (but IMP_BAD_AUTHORITY and
   IMP_NO_DATABASE, which record nothing). */
enum imp_outcome
{
  IMP_IMPORTED,      /* merged and committed */
  IMP_DRY_RUN,       /* merged, reported, rolled back */
  IMP_REFUSED,       /* the file (or a record, all or nothing) is invalid */
  IMP_FAILED,        /* the database or the file system failed */
  IMP_BAD_AUTHORITY, /* no such authority: nothing recorded (bad usage) */
  IMP_NO_DATABASE,   /* the connection is lost: nothing recorded */
};

struct imp_load_options
{
  const char *authority;    /* the authority code the caller says the file is
                            for (--authority); required */
  const char *file_name;    /* recorded in import_run, e.g. "dmw-2026-11.xml" */
  const char *profile_name; /* recorded; NULL: canonical format */
  const struct imp_profile *profile; /* the loaded profile, or NULL */
  bool dry_run;
  bool skip_invalid;
  int64_t started_by; /* app_user id, or 0 for the command line */
  /* Who writes, for the audit log: the command passes actor "import", the
     HTTP upload the request's context (user:N). */
  const struct db_audit_context *audit;
  /* Called now and then while reading, or NULL. */
  void (*progress) (void *cls, unsigned long long bytes,
                    unsigned long long records);
  void *progress_cls;
};

/* At most this many rejects and status changes are listed in a report (the
   counts are always complete, and import_run.rejects keeps every reject). */
#define IMP_REPORT_MAX_ITEMS 10000

/* Imports the licence list open on FD (read from its current position to
   the end) over CONN, which must be a DB_KIND_APP connection outside any
   transaction.  Returns the outcome and sets *REPORT (caller owns it) to the
   JSON report:

     {"import_run": id or null, "authority", "file", "profile", "outcome",
      "error": text or null, "dry_run", "skip_invalid", "scope",
      "generated", "sha256", "size_bytes", "started_at", "finished_at",
      "counts": {"seen", "inserted", "updated", "unchanged", "delisted",
                 "rejected"},
      "agencies": {"seen", "inserted", "updated", "unchanged"},
      "status_changes": n,
      "rejects": [{"line", "reason"}], "rejects_truncated": bool,
      "changes": [{"number", "from", "to"}], "changes_truncated": bool}

   counts are of licences (seen: licences read plus records rejected whole);
   changes lists, for a dry run only, each licence whose status would change
   (from is null for a new licence).  For IMP_BAD_AUTHORITY and
   IMP_NO_DATABASE the report holds only outcome and error. */
enum imp_outcome imp_load (struct db_conn *conn, int fd,
                           const struct imp_load_options *options,
                           json_t **report);

/* "imported", "dry_run", "refused", "failed", "bad_authority",
   "no_database". */
const char *imp_outcome_name (enum imp_outcome outcome);

#endif
