/*
 * The streaming reader of licence lists: turns a file into the records of
 * record.h, one agency at a time, in flat memory whatever the file size.
 *
 * It reads the canonical format (DESIGN.md section 6), validated against the
 * XML Schema importers/licence-list-1.xsd while it streams, or a ministry's
 * own format described by a profile (profile.h).  Hostile files are refused
 * before they can cost memory or touch anything: a DOCTYPE (and so entities,
 * external or not), XInclude, a wrong encoding, invalid UTF-8, NUL bytes,
 * truncation, nesting deeper than IMP_MAX_DEPTH, a text or attribute value
 * longer than IMP_MAX_TEXT_BYTES, a record larger than IMP_MAX_RECORD_BYTES,
 * an empty file, a wrong root element.  The network is never used.
 *
 * Invalid records (a schema violation, an unknown status, an impossible date,
 * a validity that ends before it starts, a missing number...) do not stop the
 * reading: each goes to sink->reject with its line and reason, so that one run
 * lists every bad record.  Duplicate licence numbers are left to the loader.
 */
#ifndef FAIRREG_IMPORTERS_READER_H
#define FAIRREG_IMPORTERS_READER_H

#include "profile.h"
#include "record.h"

/* Limits on what one file may hold. */
#define IMP_MAX_DEPTH 64                       /* element nesting */
#define IMP_MAX_TEXT_BYTES (1024 * 1024)       /* bytes between two '<' */
#define IMP_MAX_ATTRIBUTES 256                 /* attributes of an element */
#define IMP_MAX_RECORD_BYTES (4 * 1024 * 1024) /* one agency (one record) */
#define IMP_MAX_RECORD_NODES 50000 /* elements, attributes, texts of one */

enum imp_read_result
{
  IMP_READ_OK,      /* the whole file was read; rejects may have been sent */
  IMP_READ_REFUSED, /* the file as a whole is unusable: see *error */
  IMP_READ_STOPPED, /* a sink callback returned non-zero: see stop_value */
};

/* What the reader learnt about the file, filled on every result. */
struct imp_read_info
{
  unsigned long long bytes;    /* size of the file */
  unsigned char sha256[32];    /* SHA-256 of its bytes */
  char sha256_hex[65];         /* the same in lower-case hex */
  unsigned long long records;  /* records (agencies) met */
  unsigned long long agencies; /* passed to sink->agency */
  unsigned long long licences; /* licences of those agencies */
  unsigned long long rejects;  /* passed to sink->reject */
  int stop_value;              /* the sink's return, on IMP_READ_STOPPED */
};

/*
 * Reads the licence list on FD (read to its end, not closed) and hands it to
 * SINK: sink->list once, before anything else, then sink->agency for each
 * valid record and sink->reject for each invalid one (one reject per record,
 * its line being that of the record's first problem), in file order, and
 * sink->progress every 1024 records and at the end.  Any callback may be
 * NULL; SINK may be NULL.  The strings the sink is given live until its
 * callback returns.
 *
 * PROFILE: NULL for the canonical format, else a profile from
 * imp_profile_load(); it is only read, and may be shared between threads.
 * NAME is the file's name, given to libxml2 as the document's URL; messages
 * do not repeat it (it may be NULL).
 *
 * Returns IMP_READ_OK when the whole file was read (rejects or not),
 * IMP_READ_STOPPED when a sink callback returned non-zero (INFO->stop_value
 * is that value; the rest of FD is not read), IMP_READ_REFUSED when the file
 * cannot be used at all.  Then *ERROR is a malloc'ed message for the person
 * who sent the file, starting with "line N: " when the place is known:
 *   "line 3: the file has a DOCTYPE declaration: ..."
 * The sink may already have received records by then (a file truncated after
 * its hundredth agency is refused only where it ends): whoever loads them
 * must drop everything on a refusal.  Elsewhere *ERROR is NULL.  On a refusal
 * the rest of FD is still read, so that INFO's size and SHA-256 are those of
 * the whole file (unless reading FD failed).  INFO is always filled.
 *
 * Lines are those of the end of an element's start tag, as xmllint counts.
 * Thread-safe: imports may run in parallel threads.
 */
enum imp_read_result imp_read (int fd, const char *name,
                               const struct imp_profile *profile,
                               const struct imp_sink *sink,
                               struct imp_read_info *info, char **error);

#endif
