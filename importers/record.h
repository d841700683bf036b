/*
 * The importer's one record shape.  The readers (reader.c for the canonical
 * format, driven by the XML Schema; the same reader driven by a profile for a
 * ministry's own format) turn a file into a stream of agency records, one at
 * a time, whatever the file size; the loader (load.c) stages them with COPY
 * and merges them into the register in one transaction.  Readers and loader
 * meet only here.
 *
 * All strings are UTF-8, NUL-terminated, owned by the reader and valid only
 * during the callback that receives them.  Absent optional values are NULL.
 * Dates are normalised by the reader to YYYY-MM-DD; statuses to the status
 * vocabulary of DESIGN.md section 4.
 */
#ifndef FAIRREG_IMPORTERS_RECORD_H
#define FAIRREG_IMPORTERS_RECORD_H

#include <stdbool.h>
#include <stddef.h>

/* The list as a whole: from the root element of the file. */
struct imp_list
{
  const char *authority;    /* authority code the file says it is for */
  const char *generated;    /* RFC 3339 time the list was made, UTC */
  const char *generated_on; /* its date, YYYY-MM-DD: default status date */
  bool complete;            /* scope="complete": absent licences delisted */
};

struct imp_name
{
  const char *text;
  const char *lang; /* BCP 47, may be NULL */
  const char *kind; /* "trade", "legal", "former", "transliteration"... */
};

struct imp_person
{
  const char *name;
  const char *role;         /* officers: "president"...; personnel: NULL */
  const char *registration; /* personnel registration number, or NULL */
};

struct imp_branch
{
  const char *address;
  const char *city;
  const char *country; /* ISO 3166-1 alpha-2 */
};

struct imp_licence
{
  unsigned long line; /* line of the <licence> (or record) element */
  const char *number;
  const char *category;
  const char *status;      /* the status vocabulary */
  const char *valid_from;  /* YYYY-MM-DD or NULL */
  const char *valid_until; /* YYYY-MM-DD or NULL */
  const char *status_date; /* YYYY-MM-DD or NULL: the list's date applies */
  const char *status_reason;
};

struct imp_agency
{
  unsigned long line; /* line of the <agency> (or record) element */
  const char *ref;    /* the authority's own key, or NULL */
  const char *name;
  const char *country;
  const char *registration_number;
  const char *address;
  const char *phone;
  const char *email;
  const char *website;
  const struct imp_name *other_names;
  size_t other_name_count;
  const struct imp_person *officers;
  size_t officer_count;
  const struct imp_person *personnel;
  size_t personnel_count;
  const struct imp_branch *branches;
  size_t branch_count;
  const struct imp_licence *licences;
  size_t licence_count;
};

/* A record the reader could not accept.  REASON says what is wrong in words
   an authority's IT officer understands ("validUntil 2024-02-30 is not a
   date"), never more than 200 bytes. */
struct imp_reject
{
  unsigned long line;
  const char *reason;
};

/* What a reader calls.  Each returns 0 to go on, or non-zero to stop reading
   (the loader failed); imp_read then stops with IMP_READ_STOPPED and
   keeps the value in its info.stop_value (see reader.h). */
struct imp_sink
{
  void *cls;
  int (*list) (void *cls, const struct imp_list *list);
  int (*agency) (void *cls, const struct imp_agency *agency);
  int (*reject) (void *cls, const struct imp_reject *reject);
  /* Progress: bytes read so far and records seen, called now and then. */
  void (*progress) (void *cls, unsigned long long bytes,
                    unsigned long long records);
};

#endif
