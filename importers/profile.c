/*
 * Profiles: parsing and checking the small XML files that describe a
 * ministry's own licence-list format (see profile.h and importers/README.md).
 *
 * A profile is small and trusted more than the lists it reads, but it is
 * still parsed without network, DTD or entities, and checked completely
 * before any list is read with it: each mistake is reported with the line of
 * the profile where it is, so that whoever writes one can fix it alone.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "embedded.h"
#include "profile.h"

/* A profile is a few kilobytes; anything much larger is not one. */
#define PROFILE_MAX_BYTES (1024 * 1024)
/* Mistakes reported at once: enough to fix a profile in one go. */
#define PROFILE_MAX_PROBLEMS 20
/* The year a date read with a profile's format must reach.  It catches a
   Gregorian year read as Buddhist (2022 - 543 = 1479) and lets the next
   format in the list try. */
#define PROFILE_MIN_YEAR 1900

const char *const imp_status_vocabulary[] = {
  "active",      "suspended", "revoked",  "cancelled", "expired",
  "surrendered", "banned",    "delisted", "pending",   NULL,
};

/* The canonical format, described in the profile language itself: the reader
   reads canonical files exactly as it reads any other format, plus the XML
   Schema. */
static const char canonical_profile_text[]
    = "<profile version='1'>\n"
      " <description>fairreg licence list, "
      "urn:fairreg:licence-list:1</description>\n"
      " <namespace prefix='l' uri='urn:fairreg:licence-list:1'/>\n"
      " <record select='/l:licenceList/l:agency'/>\n"
      " <list>\n"
      "  <authority select='@authority'/>\n"
      "  <generated select='@generated'/>\n"
      "  <scope select='@scope'/>\n"
      " </list>\n"
      " <agency>\n"
      "  <ref select='@ref'/>\n"
      "  <name select='l:name'/>\n"
      "  <otherName select='l:otherName'>\n"
      "   <lang select='@lang'/><kind select='@kind'/>\n"
      "  </otherName>\n"
      "  <country select='l:country'/>\n"
      "  <registrationNumber select='l:registrationNumber'/>\n"
      "  <address select='l:address'/>\n"
      "  <phone select='l:phone'/>\n"
      "  <email select='l:email'/>\n"
      "  <website select='l:website'/>\n"
      "  <officer select='l:officer'><role select='@role'/></officer>\n"
      "  <personnel select='l:personnel'>\n"
      "   <registration select='@registration'/>\n"
      "  </personnel>\n"
      "  <branch select='l:branch'>\n"
      "   <address select='l:address'/><city select='l:city'/>\n"
      "   <country select='l:country'/>\n"
      "  </branch>\n"
      " </agency>\n"
      " <licence select='l:licence'>\n"
      "  <number select='@number'/>\n"
      "  <category select='@category'/>\n"
      "  <status select='@status'/>\n"
      "  <validFrom select='l:validFrom'/>\n"
      "  <validUntil select='l:validUntil'/>\n"
      "  <statusDate select='@statusDate'/>\n"
      "  <statusReason select='l:statusReason'/>\n"
      " </licence>\n"
      " <dates><format>YYYY-MM-DD</format></dates>\n"
      "</profile>\n";

/* The element names of the profile language, by place. */
static const char *const list_field_names[IMP_LIST_FIELD_COUNT] = {
  [IMP_LIST_AUTHORITY] = "authority",
  [IMP_LIST_GENERATED] = "generated",
  [IMP_LIST_SCOPE] = "scope",
};

static const char *const agency_field_names[IMP_AGENCY_FIELD_COUNT] = {
  [IMP_AGENCY_REF] = "ref",
  [IMP_AGENCY_NAME] = "name",
  [IMP_AGENCY_COUNTRY] = "country",
  [IMP_AGENCY_REGISTRATION_NUMBER] = "registrationNumber",
  [IMP_AGENCY_ADDRESS] = "address",
  [IMP_AGENCY_PHONE] = "phone",
  [IMP_AGENCY_EMAIL] = "email",
  [IMP_AGENCY_WEBSITE] = "website",
};

struct group_spec
{
  const char *element;
  const char *fields[IMP_GROUP_FIELD_MAX];
  int required;      /* index of the field that must be mapped, or -1 */
  int default_field; /* the field that defaults to select="." or -1 */
  bool select_needed;
};

static const struct group_spec group_specs[IMP_GROUP_KIND_COUNT] = {
  [IMP_GROUP_OTHER_NAME]
  = { "otherName", { "text", "lang", "kind" }, -1, IMP_OTHER_NAME_TEXT, true },
  [IMP_GROUP_OFFICER]
  = { "officer", { "name", "role" }, -1, IMP_OFFICER_NAME, true },
  [IMP_GROUP_PERSONNEL]
  = { "personnel", { "name", "registration" }, -1, IMP_PERSONNEL_NAME, true },
  [IMP_GROUP_BRANCH] = { "branch",
                         { "address", "city", "country" },
                         IMP_BRANCH_ADDRESS,
                         -1,
                         true },
  [IMP_GROUP_LICENCE] = { "licence",
                          { "number", "category", "status", "validFrom",
                            "validUntil", "statusDate", "statusReason" },
                          IMP_LICENCE_NUMBER,
                          -1,
                          false },
};

/* --- problems ------------------------------------------------------------ */

struct problem_entry
{
  unsigned long line;
  char text[600];
};

struct problems
{
  const char *source;
  struct problem_entry entries[PROFILE_MAX_PROBLEMS];
  unsigned count; /* all found; at most PROFILE_MAX_PROBLEMS are kept */
  bool no_memory;
};

static void problem (struct problems *p, unsigned long line, const char *fmt,
                     ...) __attribute__ ((format (printf, 3, 4)));

static void
problem (struct problems *p, unsigned long line, const char *fmt, ...)
{
  char msg[512];
  va_list ap;

  if (p->count++ >= PROFILE_MAX_PROBLEMS)
    return;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  struct problem_entry *e = &p->entries[p->count - 1];
  e->line = line;
  if (0 != line)
    snprintf (e->text, sizeof e->text, "%s, line %lu: %s", p->source, line,
              msg);
  else
    snprintf (e->text, sizeof e->text, "%s: %s", p->source, msg);
}

/* The problems as one message, one per line, in the order of the file. */
static char *
problems_text (struct problems *p)
{
  unsigned kept
      = (p->count < PROFILE_MAX_PROBLEMS) ? p->count : PROFILE_MAX_PROBLEMS;
  /* Found nearly in line order: a stable insertion sort keeps those of one
     line in the order found. */
  for (unsigned i = 1; i < kept; i++)
    for (unsigned j = i; j > 0 && p->entries[j - 1].line > p->entries[j].line;
         j--)
    {
      struct problem_entry t = p->entries[j];
      p->entries[j] = p->entries[j - 1];
      p->entries[j - 1] = t;
    }
  size_t size = 1;
  for (unsigned i = 0; i < kept; i++)
    size += strlen (p->entries[i].text) + 1;
  size += 200;
  char *text = malloc (size);
  if (NULL == text)
    return strdup ("the profile could not be read (out of memory)");
  size_t len = 0;
  for (unsigned i = 0; i < kept; i++)
    len += (size_t) snprintf (text + len, size - len, "%s%s",
                              (0 == i) ? "" : "\n", p->entries[i].text);
  if (p->count > kept)
    snprintf (text + len, size - len, "\n%s: %u more mistakes not shown",
              p->source, p->count - kept);
  return text;
}

/* --- helpers --------------------------------------------------------------- */

static unsigned long
node_line (const xmlNode *node)
{
  long line = xmlGetLineNo (node);
  return (line > 0) ? (unsigned long) line : 0;
}

static bool
is_named (const xmlNode *node, const char *name)
{
  return XML_ELEMENT_NODE == node->type && NULL == node->ns
         && 0 == strcmp ((const char *) node->name, name);
}

/* The attribute NAME of NODE (no namespace), malloc'ed, or NULL. */
static char *
attribute (const xmlNode *node, const char *name)
{
  xmlChar *value = xmlGetNoNsProp (node, (const xmlChar *) name);
  if (NULL == value)
    return NULL;
  char *copy = strdup ((const char *) value);
  xmlFree (value);
  return copy;
}

static bool
is_blank (const char *s)
{
  for (; '\0' != *s; s++)
    if (' ' != *s && '\t' != *s && '\n' != *s && '\r' != *s)
      return false;
  return true;
}

/* Reports every attribute of NODE that is not in ALLOWED (NULL-terminated). */
static void
check_attributes (struct problems *p, const xmlNode *node,
                  const char *const *allowed)
{
  for (const xmlAttr *a = node->properties; NULL != a; a = a->next)
  {
    bool known = false;
    for (const char *const *name = allowed; NULL != *name && !known; name++)
      known = (NULL == a->ns && 0 == strcmp ((const char *) a->name, *name));
    if (!known)
      problem (p, node_line (node), "unknown attribute '%s' on <%s>",
               (const char *) a->name, (const char *) node->name);
  }
}

/* Reports text inside an element that must only hold elements (or nothing).
 */
static void
check_no_text (struct problems *p, const xmlNode *node)
{
  for (const xmlNode *c = node->children; NULL != c; c = c->next)
    if ((XML_TEXT_NODE == c->type || XML_CDATA_SECTION_NODE == c->type)
        && !is_blank ((const char *) c->content))
    {
      problem (p, node_line (c), "unexpected text inside <%s>",
               (const char *) node->name);
      return;
    }
}

static const char *
vocabulary_word (const char *word)
{
  for (const char *const *v = imp_status_vocabulary; NULL != *v; v++)
    if (0 == strcmp (*v, word))
      return *v;
  return NULL;
}

static const char *
vocabulary_list (void)
{
  return "active, suspended, revoked, cancelled, expired, surrendered, "
         "banned, delisted, pending";
}

/* The lower case of the code point C, for the Latin letters that the
   region's languages write with diacritics (Vietnamese above all); the
   scripts of Thai, Burmese, Khmer and Lao have no case.  Upper and lower case
   have the same UTF-8 length in these ranges. */
static unsigned
fold (unsigned c)
{
  if (c < 0x80)
    return (unsigned) tolower ((int) c);
  if (c >= 0xC0 && c <= 0xDE && 0xD7 != c)
    return c + 0x20;
  if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137)
      || (c >= 0x14A && c <= 0x177) || (c >= 0x1EA0 && c <= 0x1EF9))
    return c | 1;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
    return (c & 1) ? c + 1 : c;
  if (0x1A0 == c || 0x1AF == c) /* Ơ, Ư */
    return c + 1;
  return c;
}

void
imp_status_word_normalise (char *word)
{
  unsigned char *out = (unsigned char *) word;
  bool space = false;
  for (const unsigned char *in = (unsigned char *) word; '\0' != *in;)
  {
    unsigned char c = *in;
    if (' ' == c || '\t' == c || '\n' == c || '\r' == c)
    {
      space = (out != (unsigned char *) word);
      in++;
      continue;
    }
    if (space)
      *out++ = ' ';
    space = false;
    /* Two- and three-byte sequences are folded in place; anything else is
       copied as it is. */
    if (c >= 0xC2 && c <= 0xDF && 0x80 == (in[1] & 0xC0))
    {
      unsigned cp = fold (((c & 0x1Fu) << 6) | (in[1] & 0x3Fu));
      *out++ = (unsigned char) (0xC0 | (cp >> 6));
      *out++ = (unsigned char) (0x80 | (cp & 0x3F));
      in += 2;
    }
    else if (c >= 0xE1 && c <= 0xEC && 0x80 == (in[1] & 0xC0)
             && 0x80 == (in[2] & 0xC0))
    {
      unsigned cp = fold (((c & 0x0Fu) << 12) | ((in[1] & 0x3Fu) << 6)
                          | (in[2] & 0x3Fu));
      *out++ = (unsigned char) (0xE0 | (cp >> 12));
      *out++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
      *out++ = (unsigned char) (0x80 | (cp & 0x3F));
      in += 3;
    }
    else
    {
      *out++ = (c < 0x80) ? (unsigned char) tolower (c) : c;
      in++;
    }
  }
  *out = '\0';
}

/* --- dates ------------------------------------------------------------------ */

static bool
leap_year (int y)
{
  return (0 == y % 4 && 0 != y % 100) || 0 == y % 400;
}

static int
days_in_month (int y, int m)
{
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  return (2 == m && leap_year (y)) ? 29 : days[m - 1];
}

/* Reads between MIN and MAX digits at *S. */
static bool
read_digits (const char **s, int min, int max, int *value)
{
  int n = 0;
  int v = 0;
  while (n < max && (*s)[n] >= '0' && (*s)[n] <= '9')
  {
    v = v * 10 + ((*s)[n] - '0');
    n++;
  }
  if (n < min)
    return false;
  *s += n;
  *value = v;
  return true;
}

/* The length of the run of the letter at F, for tokens such as YYYY. */
static size_t
run_length (const char *f)
{
  size_t n = 1;
  while (f[n] == f[0])
    n++;
  return n;
}

/* Checks the syntax of a date format: the tokens YYYY, MM, M, DD, D, hh, mm,
   ss and literal characters that are not ASCII letters; a year, a month and a
   day exactly once.  Returns NULL when sound, or what is wrong. */
static const char *
date_format_problem (const char *f)
{
  int year = 0;
  int month = 0;
  int day = 0;
  if ('\0' == *f)
    return "the date format is empty";
  while ('\0' != *f)
  {
    unsigned char c = (unsigned char) *f;
    if (!isalpha (c) || c >= 0x80)
    {
      f++;
      continue;
    }
    size_t n = run_length (f);
    if ('Y' == c && 4 == n)
      year++;
    else if ('M' == c && n <= 2)
      month++;
    else if ('D' == c && n <= 2)
      day++;
    else if (('h' == c || 'm' == c || 's' == c) && 2 == n)
      ;
    else
      return "it uses a token that is not YYYY, MM, M, DD, D, hh, mm or ss";
    f += n;
  }
  if (1 != year || 1 != month || 1 != day)
    return "it needs YYYY, a month (MM or M) and a day (DD or D), each once";
  return NULL;
}

bool
imp_date_parse (const char *f, int year_shift, const char *s, char out[11])
{
  int year = -1;
  int month = -1;
  int day = -1;
  int ignored;

  while ('\0' != *f)
  {
    unsigned char c = (unsigned char) *f;
    if (!isalpha (c) || c >= 0x80)
    {
      if (*s != *f)
        return false;
      s++;
      f++;
      continue;
    }
    size_t n = run_length (f);
    bool ok;
    if ('Y' == c && 4 == n)
      ok = read_digits (&s, 4, 4, &year);
    else if ('M' == c)
      ok = read_digits (&s, (int) n, 2, &month);
    else if ('D' == c)
      ok = read_digits (&s, (int) n, 2, &day);
    else if ('h' == c || 'm' == c || 's' == c)
      ok = read_digits (&s, 2, 2, &ignored);
    else
      ok = false;
    if (!ok)
      return false;
    f += n;
  }
  if ('\0' != *s || year < 0 || month < 0 || day < 0)
    return false;
  year += year_shift;
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1
      || day > days_in_month (year, month))
    return false;
  /* YYYY-MM-DD, by hand: every number is in range by now. */
  out[0] = (char) ('0' + year / 1000);
  out[1] = (char) ('0' + year / 100 % 10);
  out[2] = (char) ('0' + year / 10 % 10);
  out[3] = (char) ('0' + year % 10);
  out[4] = '-';
  out[5] = (char) ('0' + month / 10);
  out[6] = (char) ('0' + month % 10);
  out[7] = '-';
  out[8] = (char) ('0' + day / 10);
  out[9] = (char) ('0' + day % 10);
  out[10] = '\0';
  return true;
}

bool
imp_profile_date (const struct imp_profile *profile, const char *text,
                  char out[11])
{
  for (size_t i = 0; i < profile->date_count; i++)
  {
    const struct imp_date_format *d = &profile->dates[i];
    if (!imp_date_parse (d->text, d->year_shift, text, out))
      continue;
    if (!profile->canonical && atoi (out) < PROFILE_MIN_YEAR)
      continue;
    return true;
  }
  return false;
}

const char *
imp_profile_status (const struct imp_profile *profile, const char *word)
{
  if (NULL == profile->statuses)
    return vocabulary_word (word);
  char key[256];
  if (strlen (word) >= sizeof key)
    return NULL;
  strcpy (key, word);
  imp_status_word_normalise (key);
  for (size_t i = 0; i < profile->status_count; i++)
    if (0 == strcmp (profile->statuses[i].word, key))
      return profile->statuses[i].status;
  return NULL;
}

/* --- XPath checks ----------------------------------------------------------- */

const char *
imp_xpath_error_text (int code)
{
  /* libxml2 2.9 hands XPath errors to a context's handler without a
     message: these are its own, in plainer words. */
  switch (code)
  {
  case XML_XPATH_NUMBER_ERROR:
    return "a number is not written right";
  case XML_XPATH_UNFINISHED_LITERAL_ERROR:
  case XML_XPATH_START_LITERAL_ERROR:
    return "a quoted string is not closed";
  case XML_XPATH_VARIABLE_REF_ERROR:
  case XML_XPATH_UNDEF_VARIABLE_ERROR:
    return "it uses a $variable, and profiles have none";
  case XML_XPATH_INVALID_PREDICATE_ERROR:
    return "a [condition] is not valid";
  case XML_XPATH_EXPR_ERROR:
    return "the expression is not valid XPath 1.0";
  case XML_XPATH_UNCLOSED_ERROR:
    return "a bracket is not closed";
  case XML_XPATH_UNKNOWN_FUNC_ERROR:
    return "it calls a function that XPath 1.0 does not have (XPath 2.0 "
           "functions such as upper-case() are not available)";
  case XML_XPATH_INVALID_OPERAND:
  case XML_XPATH_INVALID_TYPE:
    return "a value has the wrong type for its operation";
  case XML_XPATH_INVALID_ARITY:
    return "a function is given the wrong number of arguments";
  case XML_XPATH_UNDEF_PREFIX_ERROR:
    return "it uses a namespace prefix that no <namespace> declares";
  case XML_XPATH_INVALID_CHAR_ERROR:
    return "it contains a character XPath does not allow";
  case XML_XPATH_MEMORY_ERROR:
    return "out of memory";
  default:
    return "the expression is not valid XPath 1.0";
  }
}

struct xpath_check
{
  struct problems *p;
  xmlXPathContextPtr ctx;
  xmlDocPtr doc; /* an empty document to try each expression on */
  char error[256];
};

static void
xpath_error (void *cls, xmlErrorPtr e)
{
  struct xpath_check *x = cls;
  if ('\0' != x->error[0])
    return;
  if (NULL != e->str1 && e->int1 >= 0 && (size_t) e->int1 < strlen (e->str1))
    snprintf (x->error, sizeof x->error, "%s (at character %d)",
              imp_xpath_error_text (e->code), e->int1 + 1);
  else
    snprintf (x->error, sizeof x->error, "%s", imp_xpath_error_text (e->code));
}

/* Compiles SELECT and tries it on an empty element, where unknown functions
   and namespace prefixes show.  NODES: it must give nodes. */
static void
check_xpath (struct xpath_check *x, unsigned long line, const char *where,
             const char *select, bool nodes)
{
  x->error[0] = '\0';
  xmlXPathCompExprPtr comp
      = xmlXPathCtxtCompile (x->ctx, (const xmlChar *) select);
  if (NULL == comp)
  {
    problem (x->p, line, "the XPath '%s' of <%s> does not compile: %s", select,
             where, ('\0' != x->error[0]) ? x->error : "invalid expression");
    return;
  }
  x->ctx->node = xmlDocGetRootElement (x->doc);
  xmlXPathObjectPtr r = xmlXPathCompiledEval (comp, x->ctx);
  if (NULL == r)
    problem (x->p, line, "the XPath '%s' of <%s> fails: %s", select, where,
             ('\0' != x->error[0]) ? x->error : "evaluation error");
  else if (nodes && XPATH_NODESET != r->type)
    problem (x->p, line,
             "the XPath '%s' of <%s> must select elements, not compute a "
             "value",
             select, where);
  xmlXPathFreeObject (r);
  xmlXPathFreeCompExpr (comp);
}

/* --- the parts of a profile ---------------------------------------------- */

static bool
ncname_ok (const char *s)
{
  return NULL != s && 0 == xmlValidateNCName ((const xmlChar *) s, 0);
}

static const char *
namespace_uri (const struct imp_profile *pr, const char *prefix)
{
  for (size_t i = 0; i < pr->namespace_count; i++)
    if (0 == strcmp (pr->namespaces[i].prefix, prefix))
      return pr->namespaces[i].uri;
  return NULL;
}

static void
parse_namespace (struct problems *p, struct imp_profile *pr,
                 const xmlNode *node)
{
  static const char *const allowed[] = { "prefix", "uri", NULL };
  check_attributes (p, node, allowed);
  check_no_text (p, node);
  char *prefix = attribute (node, "prefix");
  char *uri = attribute (node, "uri");
  unsigned long line = node_line (node);
  if (!ncname_ok (prefix) || 0 == strcmp (prefix, "xml")
      || 0 == strcmp (prefix, "xmlns"))
    problem (p, line, "<namespace> needs a prefix: a name such as 'm'");
  else if (NULL == uri || '\0' == *uri)
    problem (p, line, "<namespace prefix='%s'> needs a uri", prefix);
  else if (NULL != namespace_uri (pr, prefix))
    problem (p, line, "the prefix '%s' is declared twice", prefix);
  else
  {
    void *grown = realloc (pr->namespaces, (pr->namespace_count + 1)
                                               * sizeof pr->namespaces[0]);
    if (NULL != grown)
    {
      pr->namespaces = grown;
      pr->namespaces[pr->namespace_count].prefix = prefix;
      pr->namespaces[pr->namespace_count].uri = uri;
      pr->namespace_count++;
      return;
    }
    p->no_memory = true;
  }
  free (prefix);
  free (uri);
}

/* "/DATA/ROW", "/m:list/m:row" or "ROW". */
static void
parse_record (struct problems *p, struct imp_profile *pr, const xmlNode *node)
{
  static const char *const allowed[] = { "select", NULL };
  unsigned long line = node_line (node);
  check_attributes (p, node, allowed);
  check_no_text (p, node);
  if (NULL != pr->record_text)
  {
    problem (p, line, "<record> is given twice");
    return;
  }
  pr->record_text = attribute (node, "select");
  if (NULL == pr->record_text || '\0' == pr->record_text[0])
  {
    problem (p, line,
             "<record> needs select: the path of the record element, "
             "such as /DATA/ROW");
    return;
  }
  const char *s = pr->record_text;
  pr->record_absolute = ('/' == *s);
  if (pr->record_absolute)
    s++;
  while (true)
  {
    const char *end = strchr (s, '/');
    size_t len = (NULL != end) ? (size_t) (end - s) : strlen (s);
    char *step = strndup (s, len);
    char *colon = (NULL != step) ? strchr (step, ':') : NULL;
    const char *local = (NULL != colon) ? colon + 1 : step;
    const char *uri = NULL;
    if (NULL != colon)
    {
      *colon = '\0';
      uri = namespace_uri (pr, step);
    }
    bool ok = (NULL != step && ncname_ok (local)
               && (NULL == colon || ncname_ok (step)));
    if (!ok)
      problem (p, line,
               "the record select '%s' is not a path of element names "
               "such as /DATA/ROW, or one element name such as ROW",
               pr->record_text);
    else if (NULL != colon && NULL == uri)
      problem (p, line,
               "the prefix '%s' of the record select is not declared with "
               "<namespace>",
               step);
    else
    {
      void *grown
          = realloc (pr->record_steps,
                     (pr->record_step_count + 1) * sizeof pr->record_steps[0]);
      struct imp_qname q
          = { (NULL != uri) ? strdup (uri) : NULL, strdup (local) };
      if (NULL == grown || NULL == q.local || (NULL != uri && NULL == q.uri))
      {
        free (q.uri);
        free (q.local);
        free (grown);
        free (step);
        p->no_memory = true;
        return;
      }
      pr->record_steps = grown;
      pr->record_steps[pr->record_step_count++] = q;
    }
    free (step);
    if (!ok || NULL == end)
      break;
    s = end + 1;
  }
  if (!pr->record_absolute && pr->record_step_count > 1)
    problem (p, line,
             "the record select '%s' must start with / (a path from the root "
             "element) or be a single element name",
             pr->record_text);
}

/* What a constant must look like, by the field it is given for. */
enum value_check
{
  CHECK_NONE,
  CHECK_COUNTRY,
  CHECK_STATUS,
  CHECK_DATE,
  CHECK_SCOPE,
  CHECK_AUTHORITY,
  CHECK_TIMESTAMP
};

bool
imp_authority_code_ok (const char *s)
{
  size_t len = strlen (s);
  if (len < 4 || len > 33 || !isupper ((unsigned char) s[0])
      || !isupper ((unsigned char) s[1]) || '-' != s[2])
    return false;
  for (size_t i = 3; i < len; i++)
    if (!isupper ((unsigned char) s[i]) && !isdigit ((unsigned char) s[i])
        && '-' != s[i])
      return false;
  return true;
}

/* A field element: <name select="COMPANY"/> or <country value="TH"/>.
   WHERE: the element that holds it, for messages. */
static void
parse_field (struct problems *p, struct xpath_check *x, const xmlNode *node,
             struct imp_expr *e, enum value_check check, bool list_field)
{
  static const char *const allowed[] = { "select", "value", NULL };
  unsigned long line = node_line (node);
  const char *name = (const char *) node->name;

  check_attributes (p, node, allowed);
  check_no_text (p, node);
  if (0 != e->line)
  {
    problem (p, line, "<%s> is already mapped on line %lu", name, e->line);
    return;
  }
  e->line = line;
  e->select = attribute (node, "select");
  e->value = attribute (node, "value");
  if ((NULL == e->select) == (NULL == e->value))
  {
    problem (p, line,
             "<%s> needs either select (an XPath) or value (a constant), "
             "not %s",
             name, (NULL == e->select) ? "neither" : "both");
    return;
  }
  if (NULL != e->select)
  {
    const char *s = e->select;
    while (' ' == *s)
      s++;
    if ('\0' == *s)
      problem (p, line, "the select of <%s> is empty", name);
    else if (list_field && '@' != *s)
      problem (p, line,
               "the select of <%s> must read an attribute of the root "
               "element, such as @exported",
               name);
    else if ('/' == *s)
      problem (p, line,
               "the select '%s' of <%s> must be relative to the record (it "
               "starts with /)",
               e->select, name);
    else
      check_xpath (x, line, name, e->select, false);
    return;
  }
  const char *v = e->value;
  char date[11];
  switch (check)
  {
  case CHECK_NONE:
    break;
  case CHECK_COUNTRY:
    if (2 != strlen (v) || !isupper ((unsigned char) v[0])
        || !isupper ((unsigned char) v[1]))
      problem (p, line,
               "the country '%s' is not two capital letters (ISO 3166-1)", v);
    break;
  case CHECK_STATUS:
    if (NULL == vocabulary_word (v))
      problem (p, line, "the status '%s' is not one of: %s", v,
               vocabulary_list ());
    break;
  case CHECK_DATE:
    if (!imp_date_parse ("YYYY-MM-DD", 0, v, date))
      problem (p, line, "the constant date '%s' is not a date YYYY-MM-DD", v);
    break;
  case CHECK_SCOPE:
    if (0 != strcmp (v, "complete") && 0 != strcmp (v, "partial"))
      problem (p, line, "the scope must be complete or partial, not '%s'", v);
    break;
  case CHECK_AUTHORITY:
    if (!imp_authority_code_ok (v))
      problem (p, line, "the authority '%s' is not a code such as TH-DOE", v);
    break;
  case CHECK_TIMESTAMP:
    if (!imp_date_parse ("YYYY-MM-DD", 0, v, date))
      problem (p, line, "the generated date '%s' is not a date YYYY-MM-DD", v);
    break;
  }
}

static void
parse_list (struct problems *p, struct xpath_check *x, struct imp_profile *pr,
            const xmlNode *node)
{
  static const char *const none[] = { NULL };
  static const enum value_check checks[IMP_LIST_FIELD_COUNT] = {
    [IMP_LIST_AUTHORITY] = CHECK_AUTHORITY,
    [IMP_LIST_GENERATED] = CHECK_TIMESTAMP,
    [IMP_LIST_SCOPE] = CHECK_SCOPE,
  };
  check_attributes (p, node, none);
  check_no_text (p, node);
  for (const xmlNode *c = node->children; NULL != c; c = c->next)
  {
    if (XML_ELEMENT_NODE != c->type)
      continue;
    int i = 0;
    while (i < IMP_LIST_FIELD_COUNT && !is_named (c, list_field_names[i]))
      i++;
    if (i == IMP_LIST_FIELD_COUNT)
      problem (p, node_line (c),
               "unknown element <%s> in <list> (expected authority, "
               "generated or scope)",
               (const char *) c->name);
    else
      parse_field (p, x, c, &pr->list[i], checks[i], true);
  }
}

static enum value_check
group_field_check (enum imp_group_kind kind, int field)
{
  if (IMP_GROUP_BRANCH == kind && IMP_BRANCH_COUNTRY == field)
    return CHECK_COUNTRY;
  if (IMP_GROUP_LICENCE != kind)
    return CHECK_NONE;
  switch (field)
  {
  case IMP_LICENCE_STATUS:
    return CHECK_STATUS;
  case IMP_LICENCE_VALID_FROM:
  case IMP_LICENCE_VALID_UNTIL:
  case IMP_LICENCE_STATUS_DATE:
    return CHECK_DATE;
  default:
    return CHECK_NONE;
  }
}

static void
parse_group (struct problems *p, struct xpath_check *x, struct imp_profile *pr,
             const xmlNode *node, enum imp_group_kind kind)
{
  static const char *const allowed[] = { "select", NULL };
  const struct group_spec *spec = &group_specs[kind];
  unsigned long line = node_line (node);

  void *grown
      = realloc (pr->groups, (pr->group_count + 1) * sizeof pr->groups[0]);
  if (NULL == grown)
  {
    p->no_memory = true;
    return;
  }
  pr->groups = grown;
  struct imp_group *g = &pr->groups[pr->group_count++];
  memset (g, 0, sizeof *g);
  g->kind = kind;
  g->select.line = line;
  check_attributes (p, node, allowed);
  check_no_text (p, node);
  g->select.select = attribute (node, "select");
  if (NULL == g->select.select)
  {
    if (spec->select_needed)
      problem (p, line,
               "<%s> needs select: the XPath of its elements, relative to "
               "the record",
               spec->element);
    g->select.select = strdup (".");
  }
  else if ('/' == g->select.select[0])
    problem (p, line,
             "the select '%s' of <%s> must be relative to the record (it "
             "starts with /)",
             g->select.select, spec->element);
  else
    check_xpath (x, line, spec->element, g->select.select, true);

  for (const xmlNode *c = node->children; NULL != c; c = c->next)
  {
    if (XML_ELEMENT_NODE != c->type)
      continue;
    int i = 0;
    while (i < IMP_GROUP_FIELD_MAX && NULL != spec->fields[i]
           && !is_named (c, spec->fields[i]))
      i++;
    if (i == IMP_GROUP_FIELD_MAX || NULL == spec->fields[i])
    {
      char expected[160] = "";
      size_t len = 0;
      for (int j = 0; j < IMP_GROUP_FIELD_MAX && NULL != spec->fields[j]; j++)
        len += (size_t) snprintf (expected + len, sizeof expected - len, "%s%s",
                                  (0 == j) ? "" : ", ", spec->fields[j]);
      problem (p, node_line (c),
               "unknown element <%s> in <%s> (expected one of: %s)",
               (const char *) c->name, spec->element, expected);
      continue;
    }
    parse_field (p, x, c, &g->fields[i], group_field_check (kind, i), false);
  }
  if (spec->default_field >= 0 && 0 == g->fields[spec->default_field].line)
  {
    g->fields[spec->default_field].select = strdup (".");
    g->fields[spec->default_field].line = line;
  }
  if (spec->required >= 0 && 0 == g->fields[spec->required].line)
    problem (p, line, "<%s> must map <%s>", spec->element,
             spec->fields[spec->required]);
  if (IMP_GROUP_LICENCE == kind && 0 == g->fields[IMP_LICENCE_STATUS].line)
    problem (p, line, "<licence> must map <status>");
}

static void
parse_agency (struct problems *p, struct xpath_check *x, struct imp_profile *pr,
              const xmlNode *node)
{
  static const char *const none[] = { NULL };
  check_attributes (p, node, none);
  check_no_text (p, node);
  for (const xmlNode *c = node->children; NULL != c; c = c->next)
  {
    if (XML_ELEMENT_NODE != c->type)
      continue;
    int i = 0;
    while (i < IMP_AGENCY_FIELD_COUNT && !is_named (c, agency_field_names[i]))
      i++;
    if (i < IMP_AGENCY_FIELD_COUNT)
    {
      parse_field (p, x, c, &pr->agency[i],
                   (IMP_AGENCY_COUNTRY == i) ? CHECK_COUNTRY : CHECK_NONE,
                   false);
      continue;
    }
    enum imp_group_kind k = IMP_GROUP_OTHER_NAME;
    while (k < IMP_GROUP_LICENCE && !is_named (c, group_specs[k].element))
      k++;
    if (k < IMP_GROUP_LICENCE)
      parse_group (p, x, pr, c, k);
    else if (is_named (c, "licence"))
      problem (p, node_line (c),
               "<licence> belongs directly in <profile>, not in <agency>");
    else
      problem (p, node_line (c),
               "unknown element <%s> in <agency> (expected ref, name, "
               "otherName, country, registrationNumber, address, phone, "
               "email, website, officer, personnel or branch)",
               (const char *) c->name);
  }
  if (0 == pr->agency[IMP_AGENCY_NAME].line)
    problem (p, node_line (node), "<agency> must map <name>");
}

static void
parse_statuses (struct problems *p, struct imp_profile *pr, const xmlNode *node)
{
  static const char *const none[] = { NULL };
  static const char *const allowed[] = { "word", "means", NULL };
  check_attributes (p, node, none);
  check_no_text (p, node);
  if (NULL != pr->statuses)
  {
    problem (p, node_line (node), "<statuses> is given twice");
    return;
  }
  /* An empty list still means "map, do not take the vocabulary". */
  pr->statuses = calloc (1, sizeof pr->statuses[0]);
  if (NULL == pr->statuses)
  {
    p->no_memory = true;
    return;
  }
  unsigned long *lines = NULL;
  for (const xmlNode *c = node->children; NULL != c; c = c->next)
  {
    if (XML_ELEMENT_NODE != c->type)
      continue;
    unsigned long line = node_line (c);
    if (!is_named (c, "status"))
    {
      problem (p, line, "unknown element <%s> in <statuses> (expected status)",
               (const char *) c->name);
      continue;
    }
    check_attributes (p, c, allowed);
    check_no_text (p, c);
    char *word = attribute (c, "word");
    char *means = attribute (c, "means");
    const char *status = (NULL != means) ? vocabulary_word (means) : NULL;
    if (NULL != word)
      imp_status_word_normalise (word);
    if (NULL == word || '\0' == *word)
      problem (p, line,
               "<status> needs word: the status as the file writes "
               "it");
    else if (strlen (word) > 200)
      problem (p, line, "the status word is longer than 200 bytes");
    else if (NULL == means)
      problem (p, line, "<status word='%s'> needs means: one of %s", word,
               vocabulary_list ());
    else if (NULL == status)
      problem (p, line, "the status '%s' is not one of: %s", means,
               vocabulary_list ());
    else
    {
      size_t i = 0;
      while (i < pr->status_count && 0 != strcmp (pr->statuses[i].word, word))
        i++;
      if (i < pr->status_count)
        problem (p, line, "the status word '%s' is already mapped on line %lu",
                 word, lines[i]);
      else
      {
        void *grown = realloc (pr->statuses,
                               (pr->status_count + 1) * sizeof pr->statuses[0]);
        void *grown_lines
            = realloc (lines, (pr->status_count + 1) * sizeof lines[0]);
        if (NULL != grown)
          pr->statuses = grown;
        if (NULL != grown_lines)
          lines = grown_lines;
        if (NULL == grown || NULL == grown_lines)
          p->no_memory = true;
        else
        {
          lines[pr->status_count] = line;
          pr->statuses[pr->status_count].word = word;
          pr->statuses[pr->status_count].status = status;
          pr->status_count++;
          word = NULL;
        }
      }
    }
    free (word);
    free (means);
  }
  free (lines);
  if (0 == pr->status_count)
    problem (p, node_line (node), "<statuses> lists no <status>");
}

static void
parse_dates (struct problems *p, struct imp_profile *pr, const xmlNode *node)
{
  static const char *const none[] = { NULL };
  static const char *const allowed[] = { "era", NULL };
  check_attributes (p, node, none);
  check_no_text (p, node);
  if (0 != pr->date_count)
  {
    problem (p, node_line (node), "<dates> is given twice");
    return;
  }
  unsigned formats = 0;
  for (const xmlNode *c = node->children; NULL != c; c = c->next)
  {
    if (XML_ELEMENT_NODE != c->type)
      continue;
    unsigned long line = node_line (c);
    formats++;
    if (!is_named (c, "format"))
    {
      problem (p, line, "unknown element <%s> in <dates> (expected format)",
               (const char *) c->name);
      continue;
    }
    check_attributes (p, c, allowed);
    char *era = attribute (c, "era");
    xmlChar *content = xmlNodeGetContent (c);
    char *text = (NULL != content) ? strdup ((const char *) content) : NULL;
    xmlFree (content);
    if (NULL != text)
    {
      /* trim */
      size_t len = strlen (text);
      while (len > 0 && isspace ((unsigned char) text[len - 1]))
        text[--len] = '\0';
      size_t lead = strspn (text, " \t\r\n");
      memmove (text, text + lead, len - lead + 1);
    }
    bool buddhist = (NULL != era && 0 == strcmp (era, "buddhist"));
    const char *why = (NULL != text) ? date_format_problem (text) : NULL;
    if (NULL != era && !buddhist && 0 != strcmp (era, "gregorian"))
      problem (p, line, "the era '%s' is not gregorian or buddhist", era);
    else if (NULL == text)
      p->no_memory = true;
    else if (NULL != why)
      problem (p, line, "the date format '%s' is not usable: %s", text, why);
    else
    {
      void *grown
          = realloc (pr->dates, (pr->date_count + 1) * sizeof pr->dates[0]);
      if (NULL == grown)
        p->no_memory = true;
      else
      {
        pr->dates = grown;
        pr->dates[pr->date_count].text = text;
        pr->dates[pr->date_count].buddhist = buddhist;
        pr->dates[pr->date_count].year_shift = buddhist ? -543 : 0;
        pr->date_count++;
        text = NULL;
      }
    }
    free (text);
    free (era);
  }
  if (0 == formats)
    problem (p, node_line (node), "<dates> lists no <format>");
}

/* The default when a profile says nothing about dates. */
static void
default_dates (struct problems *p, struct imp_profile *pr)
{
  pr->dates = calloc (1, sizeof pr->dates[0]);
  if (NULL == pr->dates || NULL == (pr->dates[0].text = strdup ("YYYY-MM-DD")))
  {
    p->no_memory = true;
    return;
  }
  pr->date_count = 1;
}

/* Checks the constant status of licence groups against the status map. */
static void
check_constant_statuses (struct problems *p, const struct imp_profile *pr)
{
  for (size_t i = 0; i < pr->group_count; i++)
  {
    const struct imp_expr *e = &pr->groups[i].fields[IMP_LICENCE_STATUS];
    if (IMP_GROUP_LICENCE == pr->groups[i].kind && NULL != e->value
        && NULL != pr->statuses && NULL == imp_profile_status (pr, e->value))
      problem (p, e->line,
               "the constant status '%s' is not a word of <statuses>",
               e->value);
  }
}

static void
parse_profile_element (struct problems *p, struct xpath_check *x,
                       struct imp_profile *pr, const xmlNode *root)
{
  static const char *const allowed[] = { "version", NULL };
  unsigned long line = node_line (root);
  check_attributes (p, root, allowed);
  check_no_text (p, root);
  char *version = attribute (root, "version");
  if (NULL == version || 0 != strcmp (version, "1"))
    problem (p, line, "<profile> needs version=\"1\"");
  free (version);

  /* Namespaces first: XPaths anywhere may use their prefixes. */
  for (const xmlNode *c = root->children; NULL != c; c = c->next)
    if (is_named (c, "namespace"))
      parse_namespace (p, pr, c);
  for (size_t i = 0; i < pr->namespace_count; i++)
    xmlXPathRegisterNs (x->ctx, (const xmlChar *) pr->namespaces[i].prefix,
                        (const xmlChar *) pr->namespaces[i].uri);

  bool agency = false;
  bool licence = false;
  bool description = false;
  const xmlNode *dates = NULL;
  for (const xmlNode *c = root->children; NULL != c; c = c->next)
  {
    if (XML_ELEMENT_NODE != c->type || is_named (c, "namespace"))
      continue;
    unsigned long cl = node_line (c);
    if (is_named (c, "description"))
    {
      if (description)
        problem (p, cl, "<description> is given twice");
      description = true;
    }
    else if (is_named (c, "record"))
      parse_record (p, pr, c);
    else if (is_named (c, "list"))
      parse_list (p, x, pr, c);
    else if (is_named (c, "agency"))
    {
      if (agency)
        problem (p, cl, "<agency> is given twice");
      else
        parse_agency (p, x, pr, c);
      agency = true;
    }
    else if (is_named (c, "licence"))
    {
      parse_group (p, x, pr, c, IMP_GROUP_LICENCE);
      licence = true;
    }
    else if (is_named (c, "statuses"))
      parse_statuses (p, pr, c);
    else if (is_named (c, "dates"))
    {
      dates = c;
      parse_dates (p, pr, c);
    }
    else
      problem (p, cl,
               "unknown element <%s> in <profile> (expected description, "
               "namespace, record, list, agency, licence, statuses or dates)",
               (const char *) c->name);
  }
  if (NULL == pr->record_text)
    problem (p, line,
             "<profile> must have <record select=\"...\"/>: which "
             "element is one record");
  if (0 == pr->list[IMP_LIST_AUTHORITY].line)
    problem (p, line,
             "<profile> must name the authority of its lists: <list>"
             "<authority value=\"TH-DOE\"/></list>");
  if (!agency)
    problem (p, line,
             "<profile> must have <agency>: where the agency's "
             "name and details are");
  if (!licence)
    problem (p, line,
             "<profile> must have <licence>: where the licence "
             "number and status are");
  if (NULL == dates && 0 == pr->date_count)
    default_dates (p, pr);
  check_constant_statuses (p, pr);
}

/* --- loading ---------------------------------------------------------------- */

struct parse_errors
{
  struct problems *p;
  bool seen;
};

static void
parse_error (void *cls, xmlErrorPtr e)
{
  struct parse_errors *pe = cls;
  if (e->level < XML_ERR_ERROR || pe->seen)
    return;
  pe->seen = true;
  char msg[300];
  snprintf (msg, sizeof msg, "%s", (NULL != e->message) ? e->message : "?");
  size_t len = strlen (msg);
  while (len > 0 && '\n' == msg[len - 1])
    msg[--len] = '\0';
  problem (pe->p, (e->line > 0) ? (unsigned long) e->line : 0,
           "the profile is not well-formed XML: %s", msg);
}

static void
quiet (void *cls, const char *fmt, ...)
{
  (void) cls;
  (void) fmt;
}

static struct imp_profile *
profile_new (const char *source)
{
  struct imp_profile *pr = calloc (1, sizeof *pr);
  if (NULL == pr)
    return NULL;
  const char *slash = strrchr (source, '/');
  pr->source = strdup (source);
  pr->name = strdup ((NULL != slash && 0 == strncmp (source, "importers/", 10))
                         ? slash + 1
                         : source);
  if (NULL == pr->source || NULL == pr->name)
  {
    imp_profile_free (pr);
    return NULL;
  }
  /* "importers/profiles/th-doe-flat.xml" is known as "th-doe-flat". */
  size_t len = strlen (pr->name);
  if (0 == strncmp (source, "importers/", 10) && len > 4
      && 0 == strcmp (pr->name + len - 4, ".xml"))
    pr->name[len - 4] = '\0';
  return pr;
}

struct imp_profile *
imp_profile_parse (const char *data, size_t size, const char *source,
                   char **error)
{
  struct problems p = { .source = source };
  struct imp_profile *pr = profile_new (source);
  struct xpath_check x = { .p = &p };
  xmlDocPtr doc = NULL;

  *error = NULL;
  if (NULL == pr)
  {
    *error = strdup ("out of memory");
    return NULL;
  }
  if (size > PROFILE_MAX_BYTES)
  {
    problem (&p, 0, "the file is larger than %d bytes: it is not a profile",
             PROFILE_MAX_BYTES);
    *error = problems_text (&p);
    imp_profile_free (pr);
    return NULL;
  }
  /* Errors come to this thread's handlers only while we parse: nothing is
     printed on stderr. */
  struct parse_errors pe = { .p = &p };
  xmlStructuredErrorFunc saved = xmlStructuredError;
  void *saved_cls = xmlStructuredErrorContext;
  xmlGenericErrorFunc saved_generic = xmlGenericError;
  void *saved_generic_cls = xmlGenericErrorContext;
  xmlSetStructuredErrorFunc (&pe, parse_error);
  xmlSetGenericErrorFunc (NULL, quiet);
  doc = xmlReadMemory (data, (int) size, source, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOCDATA);
  if (NULL == doc && !pe.seen)
    problem (&p, 0, "the profile is not well-formed XML");
  if (NULL == doc || 0 != p.count)
    goto cleanup;
  if (NULL != doc->intSubset)
  {
    problem (&p, node_line ((xmlNodePtr) doc->intSubset),
             "a profile may not have a DOCTYPE");
    goto cleanup;
  }
  if (NULL != doc->encoding
      && 0 != strcasecmp ((const char *) doc->encoding, "UTF-8"))
  {
    problem (&p, 1, "the profile declares encoding=\"%s\": write it in UTF-8",
             (const char *) doc->encoding);
    goto cleanup;
  }
  xmlNodePtr root = xmlDocGetRootElement (doc);
  if (NULL == root || !is_named (root, "profile"))
  {
    problem (&p, (NULL != root) ? node_line (root) : 0,
             "the root element must be <profile version=\"1\">");
    goto cleanup;
  }
  x.doc = xmlReadMemory ("<x/>", 4, "empty", NULL, XML_PARSE_NONET);
  x.ctx = (NULL != x.doc) ? xmlXPathNewContext (x.doc) : NULL;
  if (NULL == x.ctx)
  {
    p.no_memory = true;
    goto cleanup;
  }
  x.ctx->flags |= XML_XPATH_CHECKNS;
  x.ctx->error = xpath_error;
  x.ctx->userData = &x;
  parse_profile_element (&p, &x, pr, root);

cleanup:
  xmlSetStructuredErrorFunc (saved_cls, saved);
  xmlSetGenericErrorFunc (saved_generic_cls, saved_generic);
  if (NULL != x.ctx)
    xmlXPathFreeContext (x.ctx);
  if (NULL != x.doc)
    xmlFreeDoc (x.doc);
  if (NULL != doc)
    xmlFreeDoc (doc);
  if (p.no_memory && 0 == p.count)
    problem (&p, 0, "out of memory");
  if (0 != p.count)
  {
    *error = problems_text (&p);
    imp_profile_free (pr);
    return NULL;
  }
  return pr;
}

static bool
profile_name_ok (const char *name)
{
  if ('\0' == *name || strlen (name) > 100)
    return false;
  for (const char *c = name; '\0' != *c; c++)
    if (!islower ((unsigned char) *c) && !isdigit ((unsigned char) *c)
        && '-' != *c && '_' != *c)
      return false;
  return true;
}

/* "th-doe-flat, my-jtksm-attr, ..." */
static char *
builtin_names (void)
{
  static const char prefix[] = "importers/profiles/";
  char *list = NULL;
  size_t len = 0;
  for (const struct embedded_file *f = embedded_files; NULL != f->path; f++)
  {
    size_t plen = strlen (f->path);
    if (0 != strncmp (f->path, prefix, sizeof prefix - 1) || plen < 4
        || 0 != strcmp (f->path + plen - 4, ".xml"))
      continue;
    size_t nlen = plen - (sizeof prefix - 1) - 4;
    char *grown = realloc (list, len + nlen + 3);
    if (NULL == grown)
      break;
    list = grown;
    if (0 != len)
    {
      memcpy (list + len, ", ", 2);
      len += 2;
    }
    memcpy (list + len, f->path + sizeof prefix - 1, nlen);
    len += nlen;
    list[len] = '\0';
  }
  return list;
}

static char *
read_small_file (const char *path, size_t *size, char **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  char *data = NULL;

  if (fd < 0)
  {
    if (asprintf (error, "%s: cannot open the profile: %s", path,
                  strerror (errno))
        < 0)
      *error = NULL;
    return NULL;
  }
  if (0 != fstat (fd, &st) || !S_ISREG (st.st_mode)
      || st.st_size > PROFILE_MAX_BYTES)
  {
    if (asprintf (error,
                  "%s: not a profile (not a regular file of at most "
                  "%d bytes)",
                  path, PROFILE_MAX_BYTES)
        < 0)
      *error = NULL;
    close (fd);
    return NULL;
  }
  data = malloc ((size_t) st.st_size + 1);
  size_t got = 0;
  while (NULL != data && got < (size_t) st.st_size)
  {
    ssize_t n = read (fd, data + got, (size_t) st.st_size - got);
    if (n < 0 && EINTR == errno)
      continue;
    if (n <= 0)
      break;
    got += (size_t) n;
  }
  close (fd);
  if (NULL == data || got != (size_t) st.st_size)
  {
    if (asprintf (error, "%s: cannot read the profile", path) < 0)
      *error = NULL;
    free (data);
    return NULL;
  }
  data[got] = '\0';
  *size = got;
  return data;
}

struct imp_profile *
imp_profile_load (const char *name_or_path, char **error)
{
  *error = NULL;
  if (NULL != strchr (name_or_path, '/'))
  {
    size_t size = 0;
    char *data = read_small_file (name_or_path, &size, error);
    if (NULL == data)
    {
      if (NULL == *error)
        *error = strdup ("out of memory");
      return NULL;
    }
    struct imp_profile *pr
        = imp_profile_parse (data, size, name_or_path, error);
    free (data);
    return pr;
  }
  char path[160];
  const struct embedded_file *f = NULL;
  if (profile_name_ok (name_or_path))
  {
    snprintf (path, sizeof path, "importers/profiles/%s.xml", name_or_path);
    f = embedded_find (path);
  }
  if (NULL == f)
  {
    char *names = builtin_names ();
    if (asprintf (error,
                  "there is no built-in profile '%s' (built-in profiles: %s; "
                  "give a path with a / to use a profile file)",
                  name_or_path, (NULL != names) ? names : "none")
        < 0)
      *error = NULL;
    free (names);
    if (NULL == *error)
      *error = strdup ("out of memory");
    return NULL;
  }
  return imp_profile_parse (f->data, f->size, path, error);
}

static struct imp_profile *canonical;
static pthread_once_t canonical_once = PTHREAD_ONCE_INIT;

static void
canonical_init (void)
{
  char *error = NULL;
  canonical = imp_profile_parse (canonical_profile_text,
                                 sizeof canonical_profile_text - 1,
                                 "canonical format", &error);
  if (NULL != canonical)
    canonical->canonical = true;
  else
    fprintf (stderr, "fairreg: the built-in canonical profile is broken: %s\n",
             (NULL != error) ? error : "?");
  free (error);
}

const struct imp_profile *
imp_profile_canonical (void)
{
  pthread_once (&canonical_once, canonical_init);
  return canonical;
}

static void
expr_release (struct imp_expr *e)
{
  free (e->select);
  free (e->value);
}

void
imp_profile_free (struct imp_profile *pr)
{
  if (NULL == pr)
    return;
  free (pr->name);
  free (pr->source);
  for (size_t i = 0; i < pr->namespace_count; i++)
  {
    free (pr->namespaces[i].prefix);
    free (pr->namespaces[i].uri);
  }
  free (pr->namespaces);
  free (pr->record_text);
  for (size_t i = 0; i < pr->record_step_count; i++)
  {
    free (pr->record_steps[i].uri);
    free (pr->record_steps[i].local);
  }
  free (pr->record_steps);
  for (int i = 0; i < IMP_LIST_FIELD_COUNT; i++)
    expr_release (&pr->list[i]);
  for (int i = 0; i < IMP_AGENCY_FIELD_COUNT; i++)
    expr_release (&pr->agency[i]);
  for (size_t i = 0; i < pr->group_count; i++)
  {
    expr_release (&pr->groups[i].select);
    for (int j = 0; j < IMP_GROUP_FIELD_MAX; j++)
      expr_release (&pr->groups[i].fields[j]);
  }
  free (pr->groups);
  for (size_t i = 0; i < pr->status_count; i++)
    free (pr->statuses[i].word);
  free (pr->statuses);
  for (size_t i = 0; i < pr->date_count; i++)
    free (pr->dates[i].text);
  free (pr->dates);
  free (pr);
}
