/*
 * Profiles: how to read a licence list that is not in the canonical format.
 *
 * A ministry's own export (flat rows, attributes, nested elements, its own
 * status words and date formats) is described by a small XML file, a profile,
 * in importers/profiles/NAME.xml (compiled into the binary) or anywhere on
 * disk.  importers/README.md documents the format for the people who write
 * profiles; this header is for the C side.
 *
 * imp_profile_load() parses and checks a profile (every XPath compiles, every
 * required field is mapped, date formats and status words are sound) and
 * returns it in the parsed form below, which the reader (reader.c) compiles
 * into XPath expressions once per import.  The canonical format itself is
 * described by a built-in profile (imp_profile_canonical()), so that one
 * reader serves both.
 *
 * A loaded profile is immutable: several imports (threads) may share it.
 */
#ifndef FAIRREG_IMPORTERS_PROFILE_H
#define FAIRREG_IMPORTERS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

/* The values of the list as a whole, read from the root element. */
enum imp_list_field
{
  IMP_LIST_AUTHORITY,
  IMP_LIST_GENERATED,
  IMP_LIST_SCOPE,
  IMP_LIST_FIELD_COUNT
};

/* The single values of an agency. */
enum imp_agency_field
{
  IMP_AGENCY_REF,
  IMP_AGENCY_NAME,
  IMP_AGENCY_COUNTRY,
  IMP_AGENCY_REGISTRATION_NUMBER,
  IMP_AGENCY_ADDRESS,
  IMP_AGENCY_PHONE,
  IMP_AGENCY_EMAIL,
  IMP_AGENCY_WEBSITE,
  IMP_AGENCY_FIELD_COUNT
};

/* Repeated parts of a record: each is a set of nodes (its `select`), and a
   few values read relative to each node. */
enum imp_group_kind
{
  IMP_GROUP_OTHER_NAME, /* fields: text, lang, kind */
  IMP_GROUP_OFFICER,    /* name, role */
  IMP_GROUP_PERSONNEL,  /* name, registration */
  IMP_GROUP_BRANCH,     /* address, city, country */
  IMP_GROUP_LICENCE,    /* number, category, status, validFrom, validUntil,
                           statusDate, statusReason */
  IMP_GROUP_KIND_COUNT
};

/* Field indexes inside each kind of group. */
enum
{
  IMP_OTHER_NAME_TEXT = 0,
  IMP_OTHER_NAME_LANG,
  IMP_OTHER_NAME_KIND,
  IMP_OFFICER_NAME = 0,
  IMP_OFFICER_ROLE,
  IMP_PERSONNEL_NAME = 0,
  IMP_PERSONNEL_REGISTRATION,
  IMP_BRANCH_ADDRESS = 0,
  IMP_BRANCH_CITY,
  IMP_BRANCH_COUNTRY,
  IMP_LICENCE_NUMBER = 0,
  IMP_LICENCE_CATEGORY,
  IMP_LICENCE_STATUS,
  IMP_LICENCE_VALID_FROM,
  IMP_LICENCE_VALID_UNTIL,
  IMP_LICENCE_STATUS_DATE,
  IMP_LICENCE_STATUS_REASON,
  IMP_GROUP_FIELD_MAX = 7
};

/* One mapped value: an XPath relative to the record (or group node), or a
   constant, or neither (not mapped). */
struct imp_expr
{
  char *select;
  char *value;
  unsigned long line; /* where the profile maps it, for messages */
};

struct imp_group
{
  enum imp_group_kind kind;
  struct imp_expr select; /* the nodes; "." when the record itself */
  struct imp_expr fields[IMP_GROUP_FIELD_MAX];
};

struct imp_qname
{
  char *uri; /* NULL: no namespace */
  char *local;
};

struct imp_status_word
{
  char *word;         /* normalised: white space collapsed, ASCII lower case */
  const char *status; /* the vocabulary word (static storage) */
};

/* A compiled date format such as "DD/MM/YYYY". */
struct imp_date_format
{
  char *text;     /* as written, for messages */
  int year_shift; /* added to the year read: -543 for the Buddhist era */
  bool buddhist;
};

struct imp_profile
{
  char *name;     /* "th-doe-flat", or the path it was read from */
  char *source;   /* file name used in messages about the profile */
  bool canonical; /* the built-in canonical format: XML Schema validated */
  struct
  {
    char *prefix;
    char *uri;
  } * namespaces;
  size_t namespace_count;
  /* The record element: a path of element names from the root (absolute),
     or one element name matched at any depth. */
  char *record_text;
  bool record_absolute;
  struct imp_qname *record_steps;
  size_t record_step_count;
  struct imp_expr list[IMP_LIST_FIELD_COUNT];
  struct imp_expr agency[IMP_AGENCY_FIELD_COUNT];
  struct imp_group *groups;
  size_t group_count;
  /* NULL when the file writes the vocabulary itself (active, suspended...). */
  struct imp_status_word *statuses;
  size_t status_count;
  struct imp_date_format *dates;
  size_t date_count;
};

/* The status vocabulary of DESIGN.md section 4, NULL-terminated. */
extern const char *const imp_status_vocabulary[];

/* Loads the profile NAME_OR_PATH: a name without '/' is the built-in profile
   importers/profiles/NAME.xml; anything with a '/' is a file.  Returns a new
   profile (free it with imp_profile_free), or NULL and a malloc'ed *ERROR
   naming the file and the line of every mistake found, one per line:
     "th-doe-flat.xml, line 12: unknown element <stauts> in <licence>". */
struct imp_profile *imp_profile_load (const char *name_or_path, char **error);

/* The same from a profile already in memory (tests, uploads).  SOURCE names
   it in messages. */
struct imp_profile *imp_profile_parse (const char *data, size_t size,
                                       const char *source, char **error);

/* The built-in description of the canonical format (never freed; shared). */
const struct imp_profile *imp_profile_canonical (void);

void imp_profile_free (struct imp_profile *profile);

/* The vocabulary status a file's status word WORD stands for, or NULL when the
   profile does not know it.  Without a status list in the profile, WORD must
   be a vocabulary word itself. */
const char *imp_profile_status (const struct imp_profile *profile,
                                const char *word);

/* Reads the date TEXT with the profile's date formats, in order, into OUT as
   YYYY-MM-DD.  False when no format matches or the date does not exist. */
bool imp_profile_date (const struct imp_profile *profile, const char *text,
                       char out[11]);

/* Reads TEXT as a calendar date in FORMAT (the date format syntax of
   importers/README.md), shifting the year by YEAR_SHIFT.  For tests. */
bool imp_date_parse (const char *format, int year_shift, const char *text,
                     char out[11]);

/* Is S an authority code as lists name them: two capitals, a hyphen, then
   capitals, digits and hyphens, 4 to 33 characters ("PH-DMW")? */
bool imp_authority_code_ok (const char *s);

/* Plain words for a libxml2 XPath error code (XML_XPATH_...). */
const char *imp_xpath_error_text (int code);

/* Normalises WORD in place for status matching: white space trimmed and
   collapsed to one space, ASCII letters in lower case. */
void imp_status_word_normalise (char *word);

#endif
