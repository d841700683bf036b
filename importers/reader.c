/*
 * The streaming reader of licence lists (see reader.h).
 *
 * The bytes go through three gates, in order:
 *
 *  1. io_read(), the parser's input callback, which sees every byte before
 *     libxml2 does: it hashes them (SHA-256), counts lines, and refuses at once
 *     what must never reach the parser: an encoding other than UTF-8, invalid
 *     UTF-8, NUL bytes, a DOCTYPE in the prolog (so that no entity is ever
 *     declared, let alone expanded or fetched), a text or attribute run longer
 *     than IMP_MAX_TEXT_BYTES, a tag with more than IMP_MAX_ATTRIBUTES, a
 *     record larger than IMP_MAX_RECORD_BYTES or IMP_MAX_RECORD_NODES.  A small
 *     lexer over the bytes also counts the elements still open, so that a
 *     truncated file is called truncated.
 *
 *  2. libxml2's xmlTextReader, with XML_PARSE_NONET and nothing that loads or
 *     substitutes anything, and for the canonical format the XML Schema
 *     attached (through a validation context of our own) before the first
 *     read.  Parser errors, which reach this thread's structured error
 *     handler, are fatal to the file; schema errors are queued against the
 *     record they occur in.
 *
 *  3. the records: each record element is expanded (only it is in memory),
 *     checked for depth and XInclude, read with the profile's expressions
 *     (compiled once per import), checked (statuses, dates, lengths), handed
 *     to the sink, and freed by xmlTextReaderNext.  xmlTextReaderCurrentDoc()
 *     is never called: in 2.9 it makes the reader keep the whole document.
 *     The canonical format is itself a profile (profile.c), so one path
 *     serves every format.
 *
 * Lines: libxml2 2.9 stores an element's line in 16 bits, so in a file of a
 * million licences most lines would read 65535.  A node-creation hook
 * (libxml2's per-thread xmlRegisterNodeDefaultValue) stores the parser's line in each new
 * node's _private instead, and counts the nodes of a record.  It also notes
 * the root element as soon as it exists, so that a schema error can be given
 * to the root's newest child, which is the record being parsed when the error
 * is raised (the parser runs ahead of the reader, so "the record the reader
 * is on" would be wrong, and in a file on one line so would the line).
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <sodium.h>

#include "embedded.h"
#include "reader.h"

#define CANONICAL_NS "urn:fairreg:licence-list:1"
#define CANONICAL_XSD "importers/licence-list-1.xsd"
#define XINCLUDE_NS_2001 "http://www.w3.org/2001/XInclude"
#define XINCLUDE_NS_2003 "http://www.w3.org/2003/XInclude"

/* The largest reason handed to sink->reject (record.h promises 200). */
#define REASON_MAX 200
/* Distinct names and short strings libxml2 may intern for one file: a real
   list needs a few dozen; a file that invents millions of element names would
   otherwise grow the parser's dictionary without bound. */
#define MAX_DICT_ENTRIES 100000
/* Schema errors kept per record, and pending at once. */
#define ERRORS_PER_NODE 4
#define PENDING_MAX 32
/* How often sink->progress is called, in records. */
#define PROGRESS_EVERY 1024
/* How much of the file's start is examined for its XML declaration. */
#define HEAD_BYTES 512

/* --- per-process setup ----------------------------------------------------- */

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr canonical_schema;
static char setup_error[300];

static xmlParserInputPtr
no_entity_loader (const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
  /* Nothing is ever fetched: not a DTD, not an entity, not an XSD import. */
  (void) url;
  (void) id;
  (void) ctxt;
  return NULL;
}

static void
schema_parse_error (void *cls, xmlErrorPtr e)
{
  (void) cls;
  if ('\0' == setup_error[0])
    snprintf (setup_error, sizeof setup_error,
              "internal error: the embedded XML Schema does not compile: "
              "line %d: %s",
              e->line, e->message);
}

static void
setup (void)
{
  xmlInitParser ();
  if (sodium_init () < 0)
    snprintf (setup_error, sizeof setup_error,
              "internal error: libsodium does not start");
  xmlSetExternalEntityLoader (no_entity_loader);
  /* Switch on node-creation callbacks (a process-wide flag) without changing
     the process-wide hook: each read installs its hook in its own thread's
     slot (see imp_read). */
  xmlRegisterNodeDefault (xmlRegisterNodeDefault (NULL));
  const struct embedded_file *xsd = embedded_find (CANONICAL_XSD);
  if (NULL == xsd)
  {
    snprintf (setup_error, sizeof setup_error,
              "internal error: %s is not embedded", CANONICAL_XSD);
    return;
  }
  xmlSchemaParserCtxtPtr pc
      = xmlSchemaNewMemParserCtxt (xsd->data, (int) xsd->size);
  if (NULL == pc)
    return;
  xmlSchemaSetParserStructuredErrors (pc, schema_parse_error, NULL);
  canonical_schema = xmlSchemaParse (pc);
  xmlSchemaFreeParserCtxt (pc);
  if (NULL == canonical_schema && '\0' == setup_error[0])
    snprintf (setup_error, sizeof setup_error,
              "internal error: the embedded XML Schema does not compile");
}

/* --- small utilities --------------------------------------------------------- */

/* Strings of one record: blocks that are reused record after record, so that
   reading a million records allocates almost nothing after the first. */
struct block
{
  struct block *next;
  size_t size;
  size_t used;
  char data[];
};

struct arena
{
  struct block *first;
  struct block *current;
};

static void
arena_reset (struct arena *a)
{
  for (struct block *b = a->first; NULL != b; b = b->next)
    b->used = 0;
  a->current = a->first;
}

static void
arena_free (struct arena *a)
{
  struct block *b = a->first;
  while (NULL != b)
  {
    struct block *next = b->next;
    free (b);
    b = next;
  }
  a->first = a->current = NULL;
}

static char *
arena_alloc (struct arena *a, size_t len)
{
  while (NULL != a->current && a->current->size - a->current->used < len)
    a->current = a->current->next;
  if (NULL == a->current)
  {
    size_t size = (len > 60000) ? len : 60000;
    struct block *b = malloc (sizeof *b + size);
    if (NULL == b)
      return NULL;
    b->size = size;
    b->used = 0;
    /* Put it first, so it is found again after a reset. */
    b->next = a->first;
    a->first = b;
    a->current = b;
  }
  char *p = a->current->data + a->current->used;
  a->current->used += len;
  return p;
}

/* A growable byte buffer, kept across records. */
struct buf
{
  char *data;
  size_t len;
  size_t size;
};

static bool
buf_add (struct buf *b, const char *s, size_t len)
{
  if (b->len + len + 1 > b->size)
  {
    size_t size = (b->size < 256) ? 256 : b->size;
    while (size < b->len + len + 1)
      size *= 2;
    char *grown = realloc (b->data, size);
    if (NULL == grown)
      return false;
    b->data = grown;
    b->size = size;
  }
  memcpy (b->data + b->len, s, len);
  b->len += len;
  b->data[b->len] = '\0';
  return true;
}

static bool
xml_space (char c)
{
  return ' ' == c || '\t' == c || '\n' == c || '\r' == c;
}

/* Characters (code points) of a UTF-8 string. */
static size_t
utf8_chars (const char *s)
{
  size_t n = 0;
  for (; '\0' != *s; s++)
    if (0x80 != ((unsigned char) *s & 0xC0))
      n++;
  return n;
}

/* Copies at most MAX bytes of S into OUT (of MAX + 4 bytes), cut at a
   character boundary, with "…" when cut. */
static void
utf8_cut (char *out, const char *s, size_t max)
{
  size_t len = strlen (s);
  if (len <= max)
  {
    memcpy (out, s, len + 1);
    return;
  }
  while (max > 0 && 0x80 == ((unsigned char) s[max] & 0xC0))
    max--;
  memcpy (out, s, max);
  memcpy (out + max, "\xE2\x80\xA6", 4);
}

/* --- the reader's state ------------------------------------------------------ */

/* How an expression is evaluated.  Most of a profile's expressions are ".",
   "@attribute" or "child": those are walked directly, with the very meaning
   XPath gives them (the first such node in document order), which spares the
   XPath machinery's allocations on every record.  The rest go to libxml2's
   XPath. */
enum walk
{
  WALK_XPATH,
  WALK_SELF,
  WALK_ATTRIBUTE,
  WALK_CHILD,
};

/* A compiled profile expression. */
struct cexpr
{
  xmlXPathCompExprPtr comp;
  const char *value; /* a constant: the profile's own string */
  enum walk walk;
  char *uri;   /* WALK_ATTRIBUTE, WALK_CHILD: the name's namespace, or NULL */
  char *local; /* and its local part */
};

struct cgroup
{
  const struct imp_group *group;
  struct cexpr select;
  struct cexpr fields[IMP_GROUP_FIELD_MAX];
};

/* A schema error waiting for its record. */
struct pending
{
  const void *node; /* the root's child it occurred in; NULL: the root */
  unsigned long line;
  int code;
  unsigned more; /* further errors of the same node not kept */
  char message[240];
};

/* One thing wrong with a record. */
struct problem
{
  unsigned long line;
  char text[REASON_MAX + 8];
  bool from_schema;
  /* Our own checks: the words a schema error about the same value contains
     ("attribute 'status'"), so that the value is not reported twice. */
  const char *subject;
  size_t seq; /* order of finding, to keep the sort stable */
};

struct value
{
  const char *s;      /* normalised text, or NULL when absent or empty */
  unsigned long line; /* where it was read */
};

struct reader
{
  int fd;
  const struct imp_profile *profile;
  const struct imp_sink *sink;
  struct imp_read_info *info;
  crypto_hash_sha256_state sha;
  xmlTextReaderPtr xr;
  xmlSchemaValidCtxtPtr validation;

  /* gate 1: the byte scanner */
  unsigned long long line; /* lines seen by the scanner, from 1 */
  bool after_cr;
  int utf8_need;
  unsigned char utf8_lo;
  unsigned char utf8_hi;
  size_t text_run;
  int tag_state;
  unsigned char tag_quote;
  unsigned tag_attributes;
  int tag_marks;       /* '-', ']' or '?' just before, ending a construct */
  bool tag_slash;      /* '/' just before, in a start tag */
  long tag_depth;      /* elements open, as far as the bytes show */
  unsigned long nodes; /* nodes the parser made since the reader's last step */
  bool head_checked;
  char head[HEAD_BYTES]; /* the file's first bytes, read ahead */
  size_t head_len;
  size_t head_off; /* of which handed to the parser */
  bool in_prolog;
  int prolog_state;
  int prolog_dashes;
  int doctype_matched;
  bool eof;
  bool io_failed;
  bool expanding;
  unsigned long long expand_start;
  unsigned long expand_line;

  /* the first fatal problem, for *error of imp_read; NULL while none */
  char *fatal;
  char fatal_buf[700];

  /* the document */
  xmlNodePtr root; /* as soon as the parser made it */
  bool list_done;

  /* schema errors not yet given to their record */
  struct pending pending[PENDING_MAX];
  size_t pending_count;

  /* the profile, compiled */
  xmlXPathContextPtr xp;
  struct cexpr list[IMP_LIST_FIELD_COUNT];
  struct cexpr agency[IMP_AGENCY_FIELD_COUNT];
  struct cgroup *groups;
  size_t group_count;
  char xpath_error[200];

  /* the record being built, reused */
  struct arena arena;
  struct buf text;
  struct problem *problems;
  size_t problem_count;
  size_t problem_size;
  size_t problems_dropped;
  struct imp_name *names;
  size_t name_size;
  struct imp_person *officers;
  size_t officer_size;
  struct imp_person *personnel;
  size_t personnel_size;
  struct imp_branch *branches;
  size_t branch_size;
  struct imp_licence *licences;
  size_t licence_size;
  struct imp_agency agency_rec;
};

static _Thread_local struct reader *current_reader;

static void fatal (struct reader *r, unsigned long line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Notes the first reason to refuse the file; later ones are consequences. */
static void
fatal (struct reader *r, unsigned long line, const char *fmt, ...)
{
  char msg[600];
  va_list ap;
  if (NULL != r->fatal)
    return;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (0 != line)
    snprintf (r->fatal_buf, sizeof r->fatal_buf, "line %lu: %s", line, msg);
  else
    snprintf (r->fatal_buf, sizeof r->fatal_buf, "%s", msg);
  r->fatal = r->fatal_buf;
}

static unsigned long
node_line (const xmlNode *node)
{
  if (NULL == node)
    return 0;
  if (XML_ATTRIBUTE_NODE == node->type)
    node = node->parent;
  uintptr_t line = (uintptr_t) node->_private;
  if (0 != line)
    return (unsigned long) line;
  long l = xmlGetLineNo (node);
  return (l > 0) ? (unsigned long) l : 0;
}

/* --- gate 1: the bytes ------------------------------------------------------- */

enum
{
  PROLOG_TEXT,
  PROLOG_LT,      /* after < */
  PROLOG_BANG,    /* after <! */
  PROLOG_DASH,    /* after <!- */
  PROLOG_COMMENT, /* inside <!-- --> */
  PROLOG_PI,      /* inside <? ?> */
  PROLOG_DOCTYPE, /* matching <!DOCTYPE */
};

/* Looks for <!DOCTYPE before the root element, comments and processing
   instructions aside.  False when found. */
static bool
scan_prolog (struct reader *r, unsigned char c)
{
  static const char doctype[] = "DOCTYPE";
  switch (r->prolog_state)
  {
  case PROLOG_TEXT:
    if ('<' == c)
      r->prolog_state = PROLOG_LT;
    break;
  case PROLOG_LT:
    if ('!' == c)
      r->prolog_state = PROLOG_BANG;
    else if ('?' == c)
    {
      r->prolog_state = PROLOG_PI;
      r->prolog_dashes = 0;
    }
    else
      r->in_prolog = false; /* the root element starts */
    break;
  case PROLOG_BANG:
    if ('-' == c)
      r->prolog_state = PROLOG_DASH;
    else if ('D' == c)
    {
      r->prolog_state = PROLOG_DOCTYPE;
      r->doctype_matched = 1;
    }
    else
      r->in_prolog = false; /* not XML: the parser will say so */
    break;
  case PROLOG_DASH:
    if ('-' == c)
    {
      r->prolog_state = PROLOG_COMMENT;
      r->prolog_dashes = 0;
    }
    else
      r->in_prolog = false;
    break;
  case PROLOG_COMMENT:
    if ('-' == c)
      r->prolog_dashes++;
    else if ('>' == c && r->prolog_dashes >= 2)
      r->prolog_state = PROLOG_TEXT;
    else
      r->prolog_dashes = 0;
    break;
  case PROLOG_PI:
    if ('?' == c)
      r->prolog_dashes = 1;
    else if ('>' == c && 1 == r->prolog_dashes)
      r->prolog_state = PROLOG_TEXT;
    else
      r->prolog_dashes = 0;
    break;
  case PROLOG_DOCTYPE:
    if (c != (unsigned char) doctype[r->doctype_matched])
    {
      r->in_prolog = false;
      break;
    }
    if ('\0' == doctype[++r->doctype_matched])
      return false;
    break;
  }
  return true;
}

/* Checks the XML declaration in the first bytes of the file: only UTF-8. */
static void
check_head (struct reader *r, const char *head, size_t len)
{
  char copy[HEAD_BYTES + 1];
  if (len > HEAD_BYTES)
    len = HEAD_BYTES;
  memcpy (copy, head, len);
  copy[len] = '\0';
  const char *s = copy;
  if (len >= 2
      && (('\xFE' == s[0] && '\xFF' == s[1])
          || ('\xFF' == s[0] && '\xFE' == s[1])))
  {
    fatal (r, 1,
           "the file is UTF-16 (it starts with a UTF-16 byte order mark): "
           "save it as UTF-8");
    return;
  }
  if (0 == strncmp (s, "\xEF\xBB\xBF", 3))
    s += 3;
  if (0 != strncmp (s, "<?xml", 5) || !xml_space (s[5]))
    return;
  const char *end = strstr (s, "?>");
  if (NULL == end)
    return; /* an odd declaration: the parser judges it */
  const char *enc = strstr (s, "encoding");
  if (NULL == enc || enc > end)
    return;
  enc += 8;
  while (xml_space (*enc))
    enc++;
  if ('=' != *enc++)
    return;
  while (xml_space (*enc))
    enc++;
  char quote = *enc++;
  if ('"' != quote && '\'' != quote)
    return;
  const char *close = strchr (enc, quote);
  if (NULL == close || close > end)
    return;
  int n = (int) (close - enc);
  if ((5 == n && 0 == strncasecmp (enc, "UTF-8", 5))
      || (4 == n && 0 == strncasecmp (enc, "UTF8", 4)))
    return;
  if (n > 40)
    n = 40;
  fatal (r, 1,
         "the file declares encoding=\"%.*s\": only UTF-8 is accepted "
         "(convert the file to UTF-8 and declare encoding=\"UTF-8\")",
         n, enc);
}

static void
bad_utf8 (struct reader *r, unsigned char c)
{
  fatal (r, (unsigned long) r->line,
         "the file is not valid UTF-8 (byte 0x%02X is out of place): save "
         "it as UTF-8",
         (unsigned) c);
}

enum
{
  TAG_NONE,    /* text */
  TAG_LT,      /* after < */
  TAG_START,   /* inside a start tag */
  TAG_QUOTE,   /* inside an attribute value */
  TAG_END,     /* inside an end tag */
  TAG_BANG,    /* after <! */
  TAG_COMMENT, /* inside <!-- --> */
  TAG_CDATA,   /* inside <![CDATA[ ]]> */
  TAG_PI,      /* inside <? ?> */
  TAG_DECL,    /* inside another <! > */
};

/* A small lexer over the bytes, for two things the parser does not give:
   the number of attributes of each start tag (libxml2 2.9 checks them for
   duplicates pair by pair, so that a tag with 100,000 of them costs minutes),
   and how many elements are open when the file ends (a truncated file).  It
   only has to be right for well-formed XML: anything else, the parser
   refuses anyway.  False when a tag has too many attributes. */
static bool
scan_tag (struct reader *r, unsigned char c)
{
  switch (r->tag_state)
  {
  case TAG_NONE:
    if ('<' == c)
      r->tag_state = TAG_LT;
    break;
  case TAG_LT:
    r->tag_attributes = 0;
    r->tag_slash = false;
    r->tag_marks = 0;
    if ('!' == c)
      r->tag_state = TAG_BANG;
    else if ('?' == c)
      r->tag_state = TAG_PI;
    else if ('/' == c)
      r->tag_state = TAG_END;
    else
    {
      r->tag_state = TAG_START;
      r->tag_depth++;
    }
    break;
  case TAG_START:
    if ('"' == c || '\'' == c)
    {
      r->tag_state = TAG_QUOTE;
      r->tag_quote = c;
    }
    else if ('>' == c)
    {
      if (r->tag_slash)
        r->tag_depth--; /* <empty/> */
      r->tag_state = TAG_NONE;
    }
    else if ('=' == c && ++r->tag_attributes > IMP_MAX_ATTRIBUTES)
      return false;
    r->tag_slash = ('/' == c);
    break;
  case TAG_QUOTE:
    if (c == r->tag_quote)
      r->tag_state = TAG_START;
    break;
  case TAG_END:
    if ('>' == c)
    {
      r->tag_depth--;
      r->tag_state = TAG_NONE;
    }
    break;
  case TAG_BANG:
    r->tag_state = ('-' == c) ? TAG_COMMENT : ('[' == c) ? TAG_CDATA : TAG_DECL;
    break;
  case TAG_COMMENT:
  case TAG_CDATA:
    /* Ends at --> or ]]>; the opening's own - or [ do not count twice. */
    if ((TAG_COMMENT == r->tag_state && '-' == c)
        || (TAG_CDATA == r->tag_state && ']' == c))
      r->tag_marks++;
    else if ('>' == c && r->tag_marks >= 2)
      r->tag_state = TAG_NONE;
    else
      r->tag_marks = 0;
    break;
  case TAG_PI:
    if ('>' == c && 1 == r->tag_marks)
      r->tag_state = TAG_NONE;
    r->tag_marks = ('?' == c);
    break;
  case TAG_DECL:
    if ('>' == c)
      r->tag_state = TAG_NONE;
    break;
  }
  return true;
}

/* Counts N more bytes of the text run since the last '<' (text or attribute
   values); past IMP_MAX_TEXT_BYTES the file is refused.  False to refuse. */
static bool
text_run_grow (struct reader *r, size_t n)
{
  r->text_run += n;
  if (r->text_run <= IMP_MAX_TEXT_BYTES)
    return true;
  fatal (r, (unsigned long) r->line,
         "a text or attribute value is longer than %d bytes",
         IMP_MAX_TEXT_BYTES);
  return false;
}

/* Checks LEN bytes on their way to the parser.  False to refuse the file. */
static bool
scan (struct reader *r, const unsigned char *p, size_t len)
{
  for (size_t i = 0; i < len; i++)
  {
    /* The common case first: ASCII text or attribute values, where only the
       length of the run matters. */
    if (0 == r->utf8_need && !r->in_prolog
        && (TAG_NONE == r->tag_state || TAG_QUOTE == r->tag_state))
    {
      size_t j = i;
      while (j < len && p[j] >= 0x20 && p[j] < 0x7F && '<' != p[j]
             && '"' != p[j] && '\'' != p[j])
        j++;
      if (j != i)
      {
        r->after_cr = false;
        if (!text_run_grow (r, j - i))
          return false;
        i = j;
        if (i == len)
          break;
      }
    }
    else if (0 == r->utf8_need && !r->in_prolog
             && (TAG_START == r->tag_state || TAG_END == r->tag_state))
    {
      /* Names and spaces inside a tag. */
      size_t j = i;
      while (j < len
             && (isalnum (p[j]) || ' ' == p[j] || ':' == p[j] || '-' == p[j]
                 || '_' == p[j] || '.' == p[j]))
        j++;
      if (j != i)
      {
        r->after_cr = false;
        r->tag_slash = false;
        if (!text_run_grow (r, j - i))
          return false;
        i = j;
        if (i == len)
          break;
      }
    }
    unsigned char c = p[i];
    if ('\n' == c)
    {
      if (!r->after_cr)
        r->line++;
      r->after_cr = false;
    }
    else if ('\r' == c)
    {
      r->line++;
      r->after_cr = true;
    }
    else
      r->after_cr = false;

    if (0 != r->utf8_need)
    {
      if (c < r->utf8_lo || c > r->utf8_hi)
      {
        bad_utf8 (r, c);
        return false;
      }
      r->utf8_need--;
      r->utf8_lo = 0x80;
      r->utf8_hi = 0xBF;
    }
    else if (c >= 0x80)
    {
      r->utf8_lo = 0x80;
      r->utf8_hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF)
        r->utf8_need = 1;
      else if (c >= 0xE0 && c <= 0xEF)
      {
        r->utf8_need = 2;
        if (0xE0 == c)
          r->utf8_lo = 0xA0; /* no overlong forms */
        else if (0xED == c)
          r->utf8_hi = 0x9F; /* no UTF-16 surrogates */
      }
      else if (c >= 0xF0 && c <= 0xF4)
      {
        r->utf8_need = 3;
        if (0xF0 == c)
          r->utf8_lo = 0x90;
        else if (0xF4 == c)
          r->utf8_hi = 0x8F; /* nothing above U+10FFFF */
      }
      else
      {
        bad_utf8 (r, c);
        return false;
      }
    }
    else if (0 == c)
    {
      fatal (r, (unsigned long) r->line,
             "the file contains a NUL byte: it is not a UTF-8 text file "
             "(UTF-16?)");
      return false;
    }

    if ('<' == c)
      r->text_run = 0;
    else if (!text_run_grow (r, 1))
      return false;

    if (!scan_tag (r, c))
    {
      fatal (r, (unsigned long) r->line,
             "an element has more than %d attributes", IMP_MAX_ATTRIBUTES);
      return false;
    }

    if (r->in_prolog && !scan_prolog (r, c))
    {
      fatal (r, (unsigned long) r->line,
             "the file has a DOCTYPE declaration: DTDs and entities are "
             "not allowed in a licence list (remove the <!DOCTYPE ...>)");
      return false;
    }
  }
  return true;
}

/* read() without EINTR. */
static ssize_t
read_some (int fd, char *buf, size_t len)
{
  ssize_t n;
  do
    n = read (fd, buf, len);
  while (n < 0 && EINTR == errno);
  return n;
}

/* Reads from the file into BUF, hashing and counting: 0 at its end. */
static ssize_t
take (struct reader *r, char *buf, size_t len)
{
  ssize_t n = read_some (r->fd, buf, len);
  if (n < 0)
  {
    r->io_failed = true;
    fatal (r, 0, "the file could not be read: %s", strerror (errno));
    return -1;
  }
  if (0 == n)
    r->eof = true;
  crypto_hash_sha256_update (&r->sha, (const unsigned char *) buf, (size_t) n);
  r->info->bytes += (unsigned long long) n;
  return n;
}

/* The parser's input callback: every byte of the file passes here. */
static int
io_read (void *cls, char *buffer, int len)
{
  struct reader *r = cls;
  if (NULL != r->fatal)
    return -1;
  if (len <= 0)
    return 0;
  if (!r->head_checked)
  {
    /* The start of the file is examined whole, however the parser asks for
       it (libxml2 first asks for 4 bytes) and however it arrives. */
    while (r->head_len < HEAD_BYTES && !r->eof)
    {
      ssize_t n = take (r, r->head + r->head_len, HEAD_BYTES - r->head_len);
      if (n < 0)
        return -1;
      r->head_len += (size_t) n;
    }
    r->head_checked = true;
    if (0 == r->head_len)
    {
      fatal (r, 0, "the file is empty");
      return -1;
    }
    check_head (r, r->head, r->head_len);
    if (NULL != r->fatal)
      return -1;
  }
  size_t got = 0;
  if (r->head_off < r->head_len)
  {
    got = r->head_len - r->head_off;
    if (got > (size_t) len)
      got = (size_t) len;
    memcpy (buffer, r->head + r->head_off, got);
    r->head_off += got;
  }
  else if (!r->eof)
  {
    ssize_t n = take (r, buffer, (size_t) len);
    if (n < 0)
      return -1;
    got = (size_t) n;
  }
  if (0 == got)
  {
    if (0 != r->utf8_need)
    {
      fatal (r, (unsigned long) r->line,
             "the file ends inside a UTF-8 character: it is truncated");
      return -1;
    }
    return 0;
  }
  if (!scan (r, (const unsigned char *) buffer, got))
    return -1;
  if (r->nodes > IMP_MAX_RECORD_NODES)
  {
    fatal (r, r->expanding ? r->expand_line : (unsigned long) r->line,
           "%s more than %d XML nodes (elements, attributes, texts)",
           r->expanding ? "the record that starts here holds"
                        : "the file has, outside any record,",
           IMP_MAX_RECORD_NODES);
    return -1;
  }
  if (r->expanding && r->info->bytes - r->expand_start > IMP_MAX_RECORD_BYTES)
  {
    fatal (r, r->expand_line,
           "the record that starts here is larger than %d bytes",
           IMP_MAX_RECORD_BYTES);
    return -1;
  }
  return (int) got;
}

/* --- gate 2: the parser's errors --------------------------------------------- */

/* The node-creation hook: every node learns its line, and the first element
   is the root. */
static void
node_created (xmlNodePtr node)
{
  struct reader *r = current_reader;
  if (NULL == r || NULL == r->xr)
    return;
  r->nodes++;
  switch (node->type)
  {
  case XML_ELEMENT_NODE:
    if (NULL == r->root)
      r->root = node;
    /* fall through */
  case XML_TEXT_NODE:
  case XML_CDATA_SECTION_NODE:
  case XML_COMMENT_NODE:
  case XML_PI_NODE:
  {
    int line = xmlTextReaderGetParserLineNumber (r->xr);
    node->_private = (void *) (uintptr_t) ((line > 0) ? line : 0);
    break;
  }
  default:
    break;
  }
}

/* Cleans a libxml2 schema message for the people who read rejects. */
static void
clean_schema_message (char *out, size_t size, const char *in)
{
  static const char ns[] = "{" CANONICAL_NS "}";
  size_t o = 0;
  while ('\0' != *in && o + 1 < size)
  {
    if (0 == strncmp (in, ns, sizeof ns - 1))
    {
      in += sizeof ns - 1;
      continue;
    }
    if (0 == strncmp (in, "[facet '", 8))
    {
      const char *close = strstr (in, "'] ");
      if (NULL != close)
      {
        in = close + 3;
        continue;
      }
    }
    out[o++] = ('\n' == *in) ? ' ' : *in;
    in++;
  }
  while (o > 0 && ' ' == out[o - 1])
    o--;
  out[o] = '\0';
}

static void
queue_schema_error (struct reader *r, const xmlError *e)
{
  /* The record being parsed is the root's newest child. */
  const void *node = (NULL != r->root) ? (const void *) r->root->last : NULL;
  unsigned long line = (e->line > 0) ? (unsigned long) e->line : 0;
  size_t same = 0;
  struct pending *last_same = NULL;
  for (size_t i = 0; i < r->pending_count; i++)
    if (r->pending[i].node == node)
    {
      same++;
      last_same = &r->pending[i];
    }
  /* "'x' is not a valid value of the atomic type" repeats the facet error
     just before it. */
  if (XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_1 == e->code && NULL != last_same
      && last_same->line == line)
    return;
  if (same >= ERRORS_PER_NODE || PENDING_MAX == r->pending_count)
  {
    if (NULL != last_same)
      last_same->more++;
    else if (0 != r->pending_count)
      r->pending[r->pending_count - 1].more++;
    return;
  }
  struct pending *p = &r->pending[r->pending_count++];
  p->node = node;
  p->line = line;
  p->code = e->code;
  p->more = 0;
  clean_schema_message (p->message, sizeof p->message,
                        (NULL != e->message) ? e->message : "invalid");
}

/* Friendlier words for the parser errors people meet most. */
static void
parser_fatal (struct reader *r, const xmlError *e)
{
  char msg[300];
  unsigned long line = (e->line > 0) ? (unsigned long) e->line : 0;
  snprintf (msg, sizeof msg, "%s", (NULL != e->message) ? e->message : "?");
  size_t len = strlen (msg);
  while (len > 0 && ('\n' == msg[len - 1] || ' ' == msg[len - 1]))
    msg[--len] = '\0';

  if (XML_ERR_INTERNAL_ERROR == e->code
      && 0 == strncmp (msg, "Excessive depth", 15))
    fatal (r, line, "elements are nested more than %d levels deep",
           IMP_MAX_DEPTH);
  else if (r->eof && (r->tag_depth > 0 || TAG_NONE != r->tag_state))
    fatal (r, line,
           "the file ends before its XML is complete (%ld element%s still "
           "open): it is truncated",
           r->tag_depth, (1 == r->tag_depth) ? " is" : "s are");
  else if (XML_ERR_DOCUMENT_EMPTY == e->code)
    fatal (r, line, "the file is not XML: it does not start with an element");
  else if (XML_ERR_INVALID_CHAR == e->code
           || XML_ERR_INVALID_ENCODING == e->code)
    fatal (r, line,
           "the file is not valid UTF-8 or has a forbidden "
           "character: %s",
           msg);
  else
    fatal (r, line, "the file is not well-formed XML: %s", msg);
}

static void
on_error (void *cls, xmlErrorPtr e)
{
  struct reader *r = cls;
  if (XML_FROM_SCHEMASV == e->domain)
  {
    queue_schema_error (r, e);
    return;
  }
  if (e->level < XML_ERR_ERROR)
    return; /* warnings change nothing */
  parser_fatal (r, e);
}

static void
on_xpath_error (void *cls, xmlErrorPtr e)
{
  struct reader *r = cls;
  if ('\0' == r->xpath_error[0])
    snprintf (r->xpath_error, sizeof r->xpath_error, "%s",
              imp_xpath_error_text (e->code));
}

static void
quiet (void *cls, const char *fmt, ...)
{
  /* libxml2 2.9 prints some XPath errors directly: nothing reaches stderr. */
  (void) cls;
  (void) fmt;
}

/* --- gate 3: the records ----------------------------------------------------- */

/* Sees whether SELECT is ".", "@name" or "name" (names may have a prefix of
   the profile). */
static bool
classify (struct reader *r, const char *select, struct cexpr *c)
{
  const char *s = select;
  while (xml_space (*s))
    s++;
  size_t len = strlen (s);
  while (len > 0 && xml_space (s[len - 1]))
    len--;
  if (1 == len && '.' == s[0])
  {
    c->walk = WALK_SELF;
    return true;
  }
  enum walk walk = WALK_CHILD;
  if ('@' == *s)
  {
    walk = WALK_ATTRIBUTE;
    s++;
    len--;
  }
  char *name = strndup (s, len);
  if (NULL == name)
    return false;
  char *colon = strchr (name, ':');
  const char *local = (NULL != colon) ? colon + 1 : name;
  const char *uri = NULL;
  if (NULL != colon)
  {
    *colon = '\0';
    for (size_t i = 0; i < r->profile->namespace_count; i++)
      if (0 == strcmp (r->profile->namespaces[i].prefix, name))
        uri = r->profile->namespaces[i].uri;
  }
  bool simple = 0 == xmlValidateNCName ((const xmlChar *) local, 0)
                && (NULL == colon || NULL != uri);
  if (simple)
  {
    c->walk = walk;
    c->local = strdup (local);
    c->uri = (NULL != uri) ? strdup (uri) : NULL;
    simple = (NULL != c->local && (NULL == uri || NULL != c->uri));
  }
  free (name);
  if (!simple)
    c->walk = WALK_XPATH;
  return true;
}

static bool
compile_expr (struct reader *r, const struct imp_expr *e, struct cexpr *c)
{
  c->value = e->value;
  if (NULL == e->select)
    return true;
  if (!classify (r, e->select, c))
    return false;
  c->comp = xmlXPathCtxtCompile (r->xp, (const xmlChar *) e->select);
  if (NULL != c->comp)
    return true;
  fatal (r, 0, "the profile %s, line %lu: the XPath '%s' does not compile",
         r->profile->source, e->line, e->select);
  return false;
}

/* Compiles the profile's expressions once for this import. */
static bool
compile_profile (struct reader *r, xmlDocPtr doc)
{
  const struct imp_profile *p = r->profile;
  r->xp = xmlXPathNewContext (doc);
  if (NULL == r->xp)
    return false;
  xmlXPathContextSetCache (r->xp, 1, -1, 0);
  r->xp->error = on_xpath_error;
  r->xp->userData = r;
  for (size_t i = 0; i < p->namespace_count; i++)
    xmlXPathRegisterNs (r->xp, (const xmlChar *) p->namespaces[i].prefix,
                        (const xmlChar *) p->namespaces[i].uri);
  for (int i = 0; i < IMP_LIST_FIELD_COUNT; i++)
    if (!compile_expr (r, &p->list[i], &r->list[i]))
      return false;
  for (int i = 0; i < IMP_AGENCY_FIELD_COUNT; i++)
    if (!compile_expr (r, &p->agency[i], &r->agency[i]))
      return false;
  r->groups = calloc (p->group_count + 1, sizeof r->groups[0]);
  if (NULL == r->groups)
    return false;
  r->group_count = p->group_count;
  for (size_t g = 0; g < p->group_count; g++)
  {
    r->groups[g].group = &p->groups[g];
    if (!compile_expr (r, &p->groups[g].select, &r->groups[g].select))
      return false;
    for (int i = 0; i < IMP_GROUP_FIELD_MAX; i++)
      if (!compile_expr (r, &p->groups[g].fields[i], &r->groups[g].fields[i]))
        return false;
  }
  return true;
}

static void
cexpr_release (struct cexpr *c)
{
  xmlXPathFreeCompExpr (c->comp);
  free (c->uri);
  free (c->local);
}

static void
free_compiled (struct reader *r)
{
  for (int i = 0; i < IMP_LIST_FIELD_COUNT; i++)
    cexpr_release (&r->list[i]);
  for (int i = 0; i < IMP_AGENCY_FIELD_COUNT; i++)
    cexpr_release (&r->agency[i]);
  for (size_t g = 0; g < r->group_count; g++)
  {
    cexpr_release (&r->groups[g].select);
    for (int i = 0; i < IMP_GROUP_FIELD_MAX; i++)
      cexpr_release (&r->groups[g].fields[i]);
  }
  free (r->groups);
  if (NULL != r->xp)
    xmlXPathFreeContext (r->xp);
}

/* Appends the text of NODE (an element's descendants, an attribute's value)
   to r->text. */
static bool
gather_text (struct reader *r, const xmlNode *node)
{
  switch (node->type)
  {
  case XML_TEXT_NODE:
  case XML_CDATA_SECTION_NODE:
    return NULL == node->content
           || buf_add (&r->text, (const char *) node->content,
                       strlen ((const char *) node->content));
  case XML_ATTRIBUTE_NODE:
  case XML_ELEMENT_NODE:
    for (const xmlNode *c = node->children; NULL != c; c = c->next)
      if ((XML_ELEMENT_NODE == c->type || XML_TEXT_NODE == c->type
           || XML_CDATA_SECTION_NODE == c->type)
          && !gather_text (r, c))
        return false;
    return true;
  default:
    return true;
  }
}

/* Copies S into the record's strings with white space trimmed and collapsed;
   NULL when nothing is left. */
static const char *
keep (struct reader *r, const char *s)
{
  while (xml_space (*s))
    s++;
  if ('\0' == *s)
    return NULL;
  char *out = arena_alloc (&r->arena, strlen (s) + 1);
  if (NULL == out)
  {
    fatal (r, 0, "out of memory");
    return NULL;
  }
  char *o = out;
  bool space = false;
  for (; '\0' != *s; s++)
  {
    if (xml_space (*s))
    {
      space = true;
      continue;
    }
    if (space)
      *o++ = ' ';
    space = false;
    *o++ = *s;
  }
  *o = '\0';
  return out;
}

static bool
name_matches (const xmlChar *name, const xmlNs *ns, const struct cexpr *e)
{
  if (0 != strcmp ((const char *) name, e->local))
    return false;
  if (NULL == e->uri)
    return NULL == ns;
  return NULL != ns && NULL != ns->href
         && 0 == strcmp ((const char *) ns->href, e->uri);
}

/* The next node after PREV (NULL: the first) that a walked expression
   selects from CONTEXT, in document order. */
static xmlNodePtr
walk_next (const struct cexpr *e, xmlNodePtr context, xmlNodePtr prev)
{
  switch (e->walk)
  {
  case WALK_SELF:
    return (NULL == prev) ? context : NULL;
  case WALK_ATTRIBUTE:
    if (NULL != prev || XML_ELEMENT_NODE != context->type)
      return NULL;
    for (xmlAttrPtr a = context->properties; NULL != a; a = a->next)
      if (name_matches (a->name, a->ns, e))
        return (xmlNodePtr) a;
    return NULL;
  case WALK_CHILD:
    for (xmlNodePtr c = (NULL == prev) ? context->children : prev->next;
         NULL != c; c = c->next)
      if (XML_ELEMENT_NODE == c->type && name_matches (c->name, c->ns, e))
        return c;
    return NULL;
  case WALK_XPATH:
    break;
  }
  return NULL;
}

/* Evaluates E with CONTEXT as its context node. */
static struct value
evaluate (struct reader *r, const struct cexpr *e, xmlNodePtr context)
{
  struct value v = { NULL, node_line (context) };
  if (NULL != e->value)
  {
    v.s = keep (r, e->value);
    return v;
  }
  if (NULL == e->comp)
    return v;
  if (WALK_XPATH != e->walk)
  {
    xmlNodePtr n = walk_next (e, context, NULL);
    if (NULL == n)
      return v;
    v.line = node_line (n);
    r->text.len = 0;
    if (!gather_text (r, n))
      fatal (r, v.line, "out of memory");
    else if (0 != r->text.len)
      v.s = keep (r, r->text.data);
    return v;
  }
  r->xp->node = context;
  r->xpath_error[0] = '\0';
  xmlXPathObjectPtr o = xmlXPathCompiledEval (e->comp, r->xp);
  if (NULL == o)
  {
    fatal (r, v.line, "the profile's XPath fails on this record: %s",
           ('\0' != r->xpath_error[0]) ? r->xpath_error : "error");
    return v;
  }
  r->text.len = 0;
  bool ok = true;
  if (XPATH_NODESET == o->type)
  {
    if (NULL != o->nodesetval && o->nodesetval->nodeNr > 0)
    {
      xmlNodePtr n = o->nodesetval->nodeTab[0];
      v.line = node_line (n);
      ok = gather_text (r, n);
    }
  }
  else
  {
    xmlChar *s = xmlXPathCastToString (o);
    ok = (NULL != s)
         && buf_add (&r->text, (const char *) s, strlen ((const char *) s));
    xmlFree (s);
  }
  xmlXPathFreeObject (o);
  if (!ok)
  {
    fatal (r, v.line, "out of memory");
    return v;
  }
  if (0 != r->text.len)
    v.s = keep (r, r->text.data);
  return v;
}

static void add_problem (struct reader *r, unsigned long line,
                         const char *subject, bool from_schema, const char *fmt,
                         ...) __attribute__ ((format (printf, 5, 6)));

static void
add_problem (struct reader *r, unsigned long line, const char *subject,
             bool from_schema, const char *fmt, ...)
{
  if (r->problem_count == r->problem_size)
  {
    size_t size = (0 == r->problem_size) ? 8 : 2 * r->problem_size;
    if (size > 64)
    {
      /* Enough to say what is wrong; the rest is counted. */
      r->problems_dropped++;
      return;
    }
    void *grown = realloc (r->problems, size * sizeof r->problems[0]);
    if (NULL == grown)
    {
      fatal (r, line, "out of memory");
      return;
    }
    r->problems = grown;
    r->problem_size = size;
  }
  struct problem *p = &r->problems[r->problem_count];
  va_list ap;
  p->seq = r->problem_count++;
  p->line = line;
  p->from_schema = from_schema;
  p->subject = subject;
  va_start (ap, fmt);
  vsnprintf (p->text, sizeof p->text, fmt, ap);
  va_end (ap);
}

/* 'value' quoted for a message, cut to a readable length. */
static const char *
quoted (char out[52], const char *s)
{
  out[0] = '\'';
  utf8_cut (out + 1, s, 40);
  size_t len = strlen (out);
  out[len] = '\'';
  out[len + 1] = '\0';
  return out;
}

/* Checks the length of a value; true when it fits. */
static bool
check_length (struct reader *r, const struct value *v, const char *what,
              const char *subject, size_t max)
{
  if (NULL == v->s || utf8_chars (v->s) <= max)
    return true;
  add_problem (r, v->line, subject, false, "%s is longer than %zu characters",
               what, max);
  return false;
}

/* A country: two capital letters; a profile's lower-case ones are raised. */
static const char *
check_country (struct reader *r, struct value *v, const char *what,
               const char *subject)
{
  char q[52];
  if (NULL == v->s)
    return NULL;
  if (!r->profile->canonical && 2 == strlen (v->s))
  {
    char *s = (char *) v->s; /* our own copy, in the arena */
    s[0] = (char) toupper ((unsigned char) s[0]);
    s[1] = (char) toupper ((unsigned char) s[1]);
  }
  if (2 != strlen (v->s) || !isupper ((unsigned char) v->s[0])
      || !isupper ((unsigned char) v->s[1]))
  {
    add_problem (r, v->line, subject, false,
                 "%s %s is not a country code of two capital letters "
                 "(ISO 3166-1)",
                 what, quoted (q, v->s));
    return NULL;
  }
  return v->s;
}

static const char *
format_list (const struct imp_profile *p, char *out, size_t size)
{
  size_t len = 0;
  out[0] = '\0';
  for (size_t i = 0; i < p->date_count && len < size; i++)
    len += (size_t) snprintf (out + len, size - len, "%s%s%s",
                              (0 == i) ? "" : ", ", p->dates[i].text,
                              p->dates[i].buddhist ? " (Buddhist era)" : "");
  return out;
}

/* A date of the record, as YYYY-MM-DD in the arena, or NULL. */
static const char *
check_date (struct reader *r, const struct value *v, const char *what,
            const char *subject)
{
  char date[11];
  char q[52];
  if (NULL == v->s)
    return NULL;
  if (imp_profile_date (r->profile, v->s, date))
  {
    char *kept = arena_alloc (&r->arena, sizeof date);
    if (NULL == kept)
    {
      fatal (r, v->line, "out of memory");
      return NULL;
    }
    memcpy (kept, date, sizeof date);
    return kept;
  }
  if (r->profile->canonical)
    add_problem (r, v->line, subject, false, "%s %s is not a date (YYYY-MM-DD)",
                 what, quoted (q, v->s));
  else
  {
    /* A Gregorian year under a Buddhist-era format gives a year long past:
       say so rather than only "not a date". */
    for (size_t i = 0; i < r->profile->date_count; i++)
      if (r->profile->dates[i].buddhist
          && imp_date_parse (r->profile->dates[i].text,
                             r->profile->dates[i].year_shift, v->s, date))
      {
        add_problem (r, v->line, subject, false,
                     "%s %s would be in the year %.4s: the profile reads "
                     "%s in the Buddhist era (is the year Gregorian?)",
                     what, quoted (q, v->s), date, r->profile->dates[i].text);
        return NULL;
      }
    char formats[120];
    add_problem (r, v->line, subject, false, "%s %s is not a date in %s %s",
                 what, quoted (q, v->s),
                 (r->profile->date_count > 1) ? "any of the formats"
                                              : "the format",
                 format_list (r->profile, formats, sizeof formats));
  }
  return NULL;
}

static bool
grow (void **array, size_t *size, size_t need, size_t elem)
{
  if (need <= *size)
    return true;
  size_t n = (0 == *size) ? 4 : *size;
  while (n < need)
    n *= 2;
  void *grown = realloc (*array, n * elem);
  if (NULL == grown)
    return false;
  *array = grown;
  *size = n;
  return true;
}

static void
read_licence (struct reader *r, const struct cgroup *g, xmlNodePtr node)
{
  struct value v[IMP_GROUP_FIELD_MAX];
  char q[52];
  for (int i = 0; i < IMP_GROUP_FIELD_MAX; i++)
    v[i] = evaluate (r, &g->fields[i], node);
  if (NULL != r->fatal)
    return;
  unsigned long line = node_line (node);
  size_t before = r->problem_count;

  if (NULL == v[IMP_LICENCE_NUMBER].s)
    add_problem (r, line, "attribute 'number'", false,
                 "the licence has no number");
  else
    check_length (r, &v[IMP_LICENCE_NUMBER], "the licence number",
                  "attribute 'number'", 100);
  check_length (r, &v[IMP_LICENCE_CATEGORY], "the licence category",
                "attribute 'category'", 200);
  check_length (r, &v[IMP_LICENCE_STATUS_REASON], "statusReason",
                "Element 'statusReason'", 2000);

  const char *status = NULL;
  const struct value *sv = &v[IMP_LICENCE_STATUS];
  if (NULL == sv->s)
    add_problem (r, sv->line, "attribute 'status'", false,
                 "the licence has no status");
  else if (NULL == (status = imp_profile_status (r->profile, sv->s)))
  {
    if (NULL == r->profile->statuses)
      add_problem (r, sv->line, "attribute 'status'", false,
                   "status %s is not one of: active, suspended, revoked, "
                   "cancelled, expired, surrendered, banned, delisted, "
                   "pending",
                   quoted (q, sv->s));
    else
      add_problem (r, sv->line, NULL, false,
                   "status %s is not a status word of the profile %s",
                   quoted (q, sv->s), r->profile->name);
  }
  const char *from = check_date (r, &v[IMP_LICENCE_VALID_FROM], "validFrom",
                                 "Element 'validFrom'");
  const char *until = check_date (r, &v[IMP_LICENCE_VALID_UNTIL], "validUntil",
                                  "Element 'validUntil'");
  const char *status_date = check_date (r, &v[IMP_LICENCE_STATUS_DATE],
                                        "statusDate", "attribute 'statusDate'");
  if (NULL != from && NULL != until && strcmp (until, from) < 0)
    add_problem (r, v[IMP_LICENCE_VALID_UNTIL].line, NULL, false,
                 "validUntil %s is before validFrom %s", until, from);
  if (r->problem_count != before)
    return;

  if (!grow ((void **) &r->licences, &r->licence_size,
             r->agency_rec.licence_count + 1, sizeof r->licences[0]))
  {
    fatal (r, line, "out of memory");
    return;
  }
  struct imp_licence *l = &r->licences[r->agency_rec.licence_count++];
  l->line = line;
  l->number = v[IMP_LICENCE_NUMBER].s;
  l->category = v[IMP_LICENCE_CATEGORY].s;
  l->status = status;
  l->valid_from = from;
  l->valid_until = until;
  l->status_date = status_date;
  l->status_reason = v[IMP_LICENCE_STATUS_REASON].s;
}

static void
read_item (struct reader *r, const struct cgroup *g, xmlNodePtr node)
{
  struct value v[IMP_GROUP_FIELD_MAX];
  struct imp_agency *a = &r->agency_rec;
  enum imp_group_kind kind = g->group->kind;

  if (IMP_GROUP_LICENCE == kind)
  {
    read_licence (r, g, node);
    return;
  }
  for (int i = 0; i < IMP_GROUP_FIELD_MAX; i++)
    v[i] = evaluate (r, &g->fields[i], node);
  if (NULL != r->fatal)
    return;
  bool ok = true;
  switch (kind)
  {
  case IMP_GROUP_OTHER_NAME:
    if (NULL == v[IMP_OTHER_NAME_TEXT].s)
      return; /* an empty column: no other name */
    ok = check_length (r, &v[IMP_OTHER_NAME_TEXT], "an other name",
                       "Element 'otherName'", 500);
    ok = check_length (r, &v[IMP_OTHER_NAME_LANG], "a language tag",
                       "attribute 'lang'", 35)
         && ok;
    ok = check_length (r, &v[IMP_OTHER_NAME_KIND], "a name kind",
                       "attribute 'kind'", 50)
         && ok;
    if (!ok)
      return;
    if (!grow ((void **) &r->names, &r->name_size, a->other_name_count + 1,
               sizeof r->names[0]))
      break;
    r->names[a->other_name_count++]
        = (struct imp_name){ v[IMP_OTHER_NAME_TEXT].s, v[IMP_OTHER_NAME_LANG].s,
                             v[IMP_OTHER_NAME_KIND].s };
    return;
  case IMP_GROUP_OFFICER:
    if (NULL == v[IMP_OFFICER_NAME].s)
      return;
    ok = check_length (r, &v[IMP_OFFICER_NAME], "an officer's name",
                       "Element 'officer'", 500);
    ok = check_length (r, &v[IMP_OFFICER_ROLE], "an officer's role",
                       "attribute 'role'", 200)
         && ok;
    if (!ok)
      return;
    if (!grow ((void **) &r->officers, &r->officer_size, a->officer_count + 1,
               sizeof r->officers[0]))
      break;
    r->officers[a->officer_count++]
        = (struct imp_person){ v[IMP_OFFICER_NAME].s, v[IMP_OFFICER_ROLE].s,
                               NULL };
    return;
  case IMP_GROUP_PERSONNEL:
    if (NULL == v[IMP_PERSONNEL_NAME].s)
      return;
    ok = check_length (r, &v[IMP_PERSONNEL_NAME], "a name of personnel",
                       "Element 'personnel'", 500);
    ok = check_length (r, &v[IMP_PERSONNEL_REGISTRATION],
                       "a personnel registration", "attribute 'registration'",
                       100)
         && ok;
    if (!ok)
      return;
    if (!grow ((void **) &r->personnel, &r->personnel_size,
               a->personnel_count + 1, sizeof r->personnel[0]))
      break;
    r->personnel[a->personnel_count++]
        = (struct imp_person){ v[IMP_PERSONNEL_NAME].s, NULL,
                               v[IMP_PERSONNEL_REGISTRATION].s };
    return;
  case IMP_GROUP_BRANCH:
  {
    if (NULL == v[IMP_BRANCH_ADDRESS].s)
    {
      if (NULL != v[IMP_BRANCH_CITY].s || NULL != v[IMP_BRANCH_COUNTRY].s)
        add_problem (r, node_line (node), NULL, false,
                     "a branch has no address");
      return;
    }
    ok = check_length (r, &v[IMP_BRANCH_ADDRESS], "a branch address",
                       "Element 'address'", 1000);
    ok = check_length (r, &v[IMP_BRANCH_CITY], "a branch city",
                       "Element 'city'", 200)
         && ok;
    const char *country = check_country (
        r, &v[IMP_BRANCH_COUNTRY], "the branch country", "Element 'country'");
    if (!ok || (NULL != v[IMP_BRANCH_COUNTRY].s && NULL == country))
      return;
    if (!grow ((void **) &r->branches, &r->branch_size, a->branch_count + 1,
               sizeof r->branches[0]))
      break;
    r->branches[a->branch_count++]
        = (struct imp_branch){ v[IMP_BRANCH_ADDRESS].s, v[IMP_BRANCH_CITY].s,
                               country };
    return;
  }
  case IMP_GROUP_LICENCE:
  case IMP_GROUP_KIND_COUNT:
    return;
  }
  fatal (r, node_line (node), "out of memory");
}

static void
read_group (struct reader *r, const struct cgroup *g, xmlNodePtr record)
{
  if (WALK_XPATH != g->select.walk && WALK_ATTRIBUTE != g->select.walk)
  {
    for (xmlNodePtr n = walk_next (&g->select, record, NULL);
         NULL != n && NULL == r->fatal; n = walk_next (&g->select, record, n))
      read_item (r, g, n);
    return;
  }
  r->xp->node = record;
  r->xpath_error[0] = '\0';
  xmlXPathObjectPtr o = xmlXPathCompiledEval (g->select.comp, r->xp);
  if (NULL == o || XPATH_NODESET != o->type)
  {
    fatal (r, node_line (record),
           "the profile's XPath '%s' fails on this record: %s",
           g->group->select.select,
           ('\0' != r->xpath_error[0]) ? r->xpath_error
                                       : "it does not select elements");
    xmlXPathFreeObject (o);
    return;
  }
  int n = (NULL != o->nodesetval) ? o->nodesetval->nodeNr : 0;
  for (int i = 0; i < n && NULL == r->fatal; i++)
    read_item (r, g, o->nodesetval->nodeTab[i]);
  xmlXPathFreeObject (o);
}

/* Moves the schema errors of NODE to the record's problems. */
static void
take_schema_errors (struct reader *r, const void *node)
{
  size_t kept = 0;
  for (size_t i = 0; i < r->pending_count; i++)
  {
    struct pending *p = &r->pending[i];
    if (p->node != node)
    {
      r->pending[kept++] = *p;
      continue;
    }
    add_problem (r, p->line, NULL, true, "%s", p->message);
    r->problems_dropped += p->more;
  }
  r->pending_count = kept;
}

static int
compare_problems (const void *a, const void *b)
{
  const struct problem *pa = a;
  const struct problem *pb = b;
  if (pa->line != pb->line)
    return (pa->line < pb->line) ? -1 : 1;
  /* Our own words before the schema's, on the same line. */
  if (pa->from_schema != pb->from_schema)
    return pa->from_schema ? 1 : -1;
  return (pa->seq < pb->seq) ? -1 : (pa->seq > pb->seq);
}

/* Sends the record's problems as one reject: the first problem's line, and
   as many of them as fit in the reason. */
static int
send_reject (struct reader *r)
{
  qsort (r->problems, r->problem_count, sizeof r->problems[0],
         compare_problems);

  /* A schema error about a value our own checks judged already says the
     same, in worse words. */
  size_t n = 0;
  for (size_t i = 0; i < r->problem_count; i++)
  {
    bool dup = false;
    const struct problem *p = &r->problems[i];
    for (size_t j = 0; j < r->problem_count && p->from_schema && !dup; j++)
    {
      const struct problem *q = &r->problems[j];
      dup = (!q->from_schema && q->line == p->line && NULL != q->subject
             && NULL != strstr (p->text, q->subject));
    }
    if (!dup)
      r->problems[n++] = *p;
  }
  r->problem_count = n;

  char reason[REASON_MAX + 1];
  utf8_cut (reason, r->problems[0].text, REASON_MAX - 4);
  size_t len = strlen (reason);
  size_t shown = 1;
  for (; shown < n; shown++)
  {
    char part[REASON_MAX + 40];
    const struct problem *p = &r->problems[shown];
    if (p->line == r->problems[0].line)
      snprintf (part, sizeof part, "; %s", p->text);
    else
      snprintf (part, sizeof part, "; line %lu: %s", p->line, p->text);
    /* Room for " (and 99 more)" must remain. */
    if (len + strlen (part) > REASON_MAX - 15)
      break;
    memcpy (reason + len, part, strlen (part) + 1);
    len += strlen (part);
  }
  size_t more = n - shown + r->problems_dropped;
  if (0 != more)
    snprintf (reason + len, sizeof reason - len, " (and %zu more)", more);
  struct imp_reject rej = { r->problems[0].line, reason };
  r->info->rejects++;
  if (NULL == r->sink->reject)
    return 0;
  return r->sink->reject (r->sink->cls, &rej);
}

/* Depth and XInclude inside an expanded record. */
static bool
check_subtree (struct reader *r, xmlNodePtr top, int top_depth)
{
  xmlNodePtr n = top;
  int depth = top_depth;
  while (NULL != n)
  {
    if (XML_ELEMENT_NODE == n->type)
    {
      if (depth > IMP_MAX_DEPTH)
      {
        fatal (r, node_line (n), "elements are nested more than %d levels deep",
               IMP_MAX_DEPTH);
        return false;
      }
      if (NULL != n->ns && NULL != n->ns->href
          && (0 == strcmp ((const char *) n->ns->href, XINCLUDE_NS_2001)
              || 0 == strcmp ((const char *) n->ns->href, XINCLUDE_NS_2003)))
      {
        fatal (r, node_line (n),
               "the file uses XInclude (<%s%s%s>): including other files is "
               "not allowed",
               (NULL != n->ns->prefix) ? (const char *) n->ns->prefix : "",
               (NULL != n->ns->prefix) ? ":" : "", (const char *) n->name);
        return false;
      }
      if (NULL != n->children)
      {
        n = n->children;
        depth++;
        continue;
      }
    }
    while (n != top && NULL == n->next)
    {
      n = n->parent;
      depth--;
    }
    if (n == top)
      break;
    n = n->next;
  }
  return true;
}

static int
handle_record (struct reader *r, xmlNodePtr start, int depth)
{
  unsigned long line = node_line (start);
  r->nodes = 0;
  r->expanding = true;
  r->expand_start = r->info->bytes;
  r->expand_line = line;
  xmlNodePtr record = xmlTextReaderExpand (r->xr);
  r->expanding = false;
  if (NULL == record || NULL != r->fatal)
  {
    if (NULL == r->fatal)
      fatal (r, line, "the record that starts here cannot be read");
    return 0;
  }
  if (!check_subtree (r, record, depth))
    return 0;
  if (NULL != record->doc && NULL != record->doc->dict
      && xmlDictSize (record->doc->dict) > MAX_DICT_ENTRIES)
  {
    fatal (r, line,
           "the file uses more than %d distinct element names or short "
           "values: it is not a licence list",
           MAX_DICT_ENTRIES);
    return 0;
  }
  r->info->records++;

  arena_reset (&r->arena);
  r->problem_count = 0;
  r->problems_dropped = 0;
  struct imp_agency *a = &r->agency_rec;
  memset (a, 0, sizeof *a);
  a->line = line;

  if (r->profile->canonical)
    take_schema_errors (r, record);

  struct value v[IMP_AGENCY_FIELD_COUNT];
  for (int i = 0; i < IMP_AGENCY_FIELD_COUNT; i++)
    v[i] = evaluate (r, &r->agency[i], record);
  for (size_t g = 0; g < r->group_count && NULL == r->fatal; g++)
    read_group (r, &r->groups[g], record);
  if (NULL != r->fatal)
    return 0;

  if (NULL == v[IMP_AGENCY_NAME].s)
    add_problem (r, line, NULL, false, "the agency has no name");
  check_length (r, &v[IMP_AGENCY_NAME], "the name", "Element 'name'", 500);
  check_length (r, &v[IMP_AGENCY_REF], "ref", "attribute 'ref'", 100);
  check_length (r, &v[IMP_AGENCY_REGISTRATION_NUMBER], "registrationNumber",
                "Element 'registrationNumber'", 100);
  check_length (r, &v[IMP_AGENCY_ADDRESS], "the address", "Element 'address'",
                1000);
  check_length (r, &v[IMP_AGENCY_PHONE], "the phone", "Element 'phone'", 200);
  check_length (r, &v[IMP_AGENCY_EMAIL], "the email", "Element 'email'", 254);
  check_length (r, &v[IMP_AGENCY_WEBSITE], "the website", "Element 'website'",
                500);
  const char *country = check_country (r, &v[IMP_AGENCY_COUNTRY], "the country",
                                       "Element 'country'");
  if (0 == a->licence_count && 0 == r->problem_count)
    add_problem (r, line, NULL, false, "the agency has no licence");

  if (0 != r->problem_count)
    return send_reject (r);

  a->ref = v[IMP_AGENCY_REF].s;
  a->name = v[IMP_AGENCY_NAME].s;
  a->country = country;
  a->registration_number = v[IMP_AGENCY_REGISTRATION_NUMBER].s;
  a->address = v[IMP_AGENCY_ADDRESS].s;
  a->phone = v[IMP_AGENCY_PHONE].s;
  a->email = v[IMP_AGENCY_EMAIL].s;
  a->website = v[IMP_AGENCY_WEBSITE].s;
  a->other_names = r->names;
  a->officers = r->officers;
  a->personnel = r->personnel;
  a->branches = r->branches;
  a->licences = r->licences;
  r->info->agencies++;
  r->info->licences += a->licence_count;
  if (NULL == r->sink->agency)
    return 0;
  return r->sink->agency (r->sink->cls, a);
}

/* --- the list ---------------------------------------------------------------- */

static int
days_from_civil (int y, int m, int d)
{
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static bool
two_digits (const char *s, int *v)
{
  if (!isdigit ((unsigned char) s[0]) || !isdigit ((unsigned char) s[1]))
    return false;
  *v = (s[0] - '0') * 10 + (s[1] - '0');
  return true;
}

/* Reads an RFC 3339 time with its zone into UTC (YYYY-MM-DDThh:mm:ssZ) and
   the date as written. */
static bool
parse_timestamp (const char *s, char utc[32], char date[11])
{
  int hh;
  int mi;
  int ss;
  int oh = 0;
  int om = 0;
  int sign = 0;
  if (strlen (s) < 20 || 'T' != s[10] || ':' != s[13] || ':' != s[16])
    return false;
  char day[11];
  memcpy (day, s, 10);
  day[10] = '\0';
  if (!imp_date_parse ("YYYY-MM-DD", 0, day, date))
    return false;
  if (!two_digits (s + 11, &hh) || !two_digits (s + 14, &mi)
      || !two_digits (s + 17, &ss) || hh > 23 || mi > 59 || ss > 59)
    return false;
  const char *z = s + 19;
  if ('.' == *z)
  {
    z++;
    if (!isdigit ((unsigned char) *z))
      return false;
    while (isdigit ((unsigned char) *z))
      z++;
  }
  if ('Z' == z[0] && '\0' == z[1])
    sign = 0;
  else if (('+' == z[0] || '-' == z[0]) && two_digits (z + 1, &oh)
           && ':' == z[3] && two_digits (z + 4, &om) && '\0' == z[6] && oh <= 23
           && om <= 59)
    sign = ('+' == z[0]) ? 1 : -1;
  else
    return false;
  long long t = (long long) days_from_civil (atoi (date), atoi (date + 5),
                                             atoi (date + 8))
                    * 86400LL
                + hh * 3600 + mi * 60 + ss - sign * (oh * 3600 + om * 60);
  long long days = (t >= 0) ? t / 86400 : -((-t + 86399) / 86400);
  long long secs = t - days * 86400;
  /* civil_from_days */
  long long zd = days + 719468;
  long long era = (zd >= 0 ? zd : zd - 146096) / 146097;
  long long doe = zd - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long y = yoe + era * 400;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  long long d = doy - (153 * mp + 2) / 5 + 1;
  long long m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
  if (y < 1 || y > 9999)
    return false;
  snprintf (utc, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int) y, (int) m,
            (int) d, (int) (secs / 3600), (int) (secs / 60 % 60),
            (int) (secs % 60));
  return true;
}

/* "<DATA>", or "<x> in the namespace urn:..." when it is not the one EXPECTED
   (NULL: none). */
static void
describe_name (const char *local, const char *uri, const char *expected,
               char *out, size_t size)
{
  if (NULL != uri && '\0' != *uri
      && (NULL == expected || 0 != strcmp (uri, expected)))
    snprintf (out, size, "<%s> in the namespace %s", local, uri);
  else if ((NULL == uri || '\0' == *uri) && NULL != expected)
    snprintf (out, size, "<%s> without a namespace", local);
  else
    snprintf (out, size, "<%s>", local);
}

static void
describe_element (const xmlNode *n, const char *expected, char *out,
                  size_t size)
{
  describe_name ((const char *) n->name,
                 (NULL != n->ns) ? (const char *) n->ns->href : NULL, expected,
                 out, size);
}

static bool
qname_matches (const xmlNode *n, const struct imp_qname *q)
{
  if (0 != strcmp ((const char *) n->name, q->local))
    return false;
  const char *uri = (NULL != n->ns) ? (const char *) n->ns->href : NULL;
  if (NULL == q->uri)
    return NULL == uri || '\0' == *uri;
  return NULL != uri && 0 == strcmp (uri, q->uri);
}

/* The root element: the right one, and the list's own values. */
static int
handle_root (struct reader *r, xmlNodePtr root)
{
  const struct imp_profile *p = r->profile;
  unsigned long line = node_line (root);
  char got[300];

  const xmlChar *enc = xmlTextReaderConstEncoding (r->xr);
  if (NULL != enc && 0 != strcasecmp ((const char *) enc, "UTF-8"))
  {
    fatal (r, 1, "the file declares encoding=\"%s\": only UTF-8 is accepted",
           (const char *) enc);
    return 0;
  }
  if (p->record_absolute && !qname_matches (root, &p->record_steps[0]))
  {
    const struct imp_qname *want = &p->record_steps[0];
    char expected[300];
    describe_element (root, want->uri, got, sizeof got);
    describe_name (want->local, want->uri, NULL, expected, sizeof expected);
    if (p->canonical && 0 == strcmp ((const char *) root->name, "licenceList"))
      fatal (r, line,
             "the root element is %s: a licence list starts with "
             "<licenceList xmlns=\"" CANONICAL_NS "\" ...>",
             got);
    else if (p->canonical)
      fatal (r, line,
             "the root element is %s, not <licenceList> in the namespace "
             "" CANONICAL_NS ": this is not a licence list (or it needs a "
             "profile)",
             got);
    else
      fatal (r, line,
             "the root element is %s, but the profile %s expects %s: is "
             "this the right profile?",
             got, p->name, expected);
    return 0;
  }
  if (!compile_profile (r, root->doc))
  {
    fatal (r, 0, "out of memory");
    return 0;
  }

  struct value v[IMP_LIST_FIELD_COUNT];
  arena_reset (&r->arena);
  for (int i = 0; i < IMP_LIST_FIELD_COUNT; i++)
    v[i] = evaluate (r, &r->list[i], root);
  if (NULL != r->fatal)
    return 0;
  v[IMP_LIST_AUTHORITY].line = v[IMP_LIST_GENERATED].line
      = v[IMP_LIST_SCOPE].line = line;

  struct imp_list list = { NULL, NULL, NULL, false };
  char q[52];
  const char *authority = v[IMP_LIST_AUTHORITY].s;
  if (NULL != authority && !imp_authority_code_ok (authority))
  {
    fatal (r, line,
           "the authority %s is not an authority code such as "
           "TH-DOE",
           quoted (q, authority));
    return 0;
  }
  if (NULL == authority && p->canonical)
  {
    fatal (r, line, "the list does not say its authority");
    return 0;
  }
  list.authority = authority;

  const char *scope = v[IMP_LIST_SCOPE].s;
  if (NULL != scope && 0 != strcmp (scope, "complete")
      && 0 != strcmp (scope, "partial"))
  {
    fatal (r, line, "the scope %s is not complete or partial",
           quoted (q, scope));
    return 0;
  }
  if (NULL == scope && p->canonical)
  {
    fatal (r, line, "the list does not say its scope");
    return 0;
  }
  list.complete = (NULL != scope && 0 == strcmp (scope, "complete"));

  char utc[32];
  char on[11];
  const char *generated = v[IMP_LIST_GENERATED].s;
  if (NULL != generated)
  {
    if (!parse_timestamp (generated, utc, on))
    {
      if (p->canonical || !imp_profile_date (p, generated, on))
      {
        fatal (r, line,
               "the generated time %s is not a valid time with its time zone, "
               "such as 2026-11-01T08:00:00Z or 2026-11-01T15:00:00+07:00",
               quoted (q, generated));
        return 0;
      }
      snprintf (utc, sizeof utc, "%sT00:00:00Z", on);
    }
  }
  else if (p->canonical)
  {
    fatal (r, line, "the list does not say when it was generated");
    return 0;
  }
  else
  {
    /* The format does not date itself: the list is as of its reading. */
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (utc, sizeof utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime (on, sizeof on, "%Y-%m-%d", &tm);
  }
  list.generated = utc;
  list.generated_on = on;

  /* The root's other schema errors (an unknown attribute...), after our own
     checks, which say the common ones in plainer words.  Errors about its
     content (no agency at all) are judged at the end. */
  for (size_t i = 0; i < r->pending_count; i++)
    if (NULL == r->pending[i].node
        && XML_SCHEMAV_ELEMENT_CONTENT != r->pending[i].code)
    {
      fatal (r, r->pending[i].line, "the <%s> element is not valid: %s",
             (const char *) root->name, r->pending[i].message);
      return 0;
    }
  r->list_done = true;
  if (NULL == r->sink->list)
    return 0;
  return r->sink->list (r->sink->cls, &list);
}

/* Is NODE (an element at DEPTH) a record, or could one be inside it? */
static bool
is_record (const struct imp_profile *p, const xmlNode *node, int depth,
           bool *may_contain)
{
  *may_contain = true;
  if (!p->record_absolute)
    return qname_matches (node, &p->record_steps[0]);
  if ((size_t) depth >= p->record_step_count)
  {
    *may_contain = false;
    return false;
  }
  const xmlNode *n = node;
  for (int i = depth; i >= 0; i--, n = n->parent)
    if (NULL == n || XML_ELEMENT_NODE != n->type
        || !qname_matches (n, &p->record_steps[i]))
    {
      *may_contain = false;
      return false;
    }
  return (size_t) depth == p->record_step_count - 1;
}

static bool
blank_text (const xmlChar *s)
{
  if (NULL == s)
    return true;
  for (; '\0' != *s; s++)
    if (!xml_space ((char) *s))
      return false;
  return true;
}

/* The reading loop.  Returns the sink's stop value, or 0. */
static int
read_all (struct reader *r)
{
  const struct imp_profile *p = r->profile;
  bool skip = false; /* next step: over the current node's subtree */
  int stop = 0;

  while (0 == stop)
  {
    r->nodes = 0;
    int ret = skip ? xmlTextReaderNext (r->xr) : xmlTextReaderRead (r->xr);
    skip = false;
    if (NULL != r->fatal)
      break;
    if (ret < 0)
    {
      fatal (r, (unsigned long) r->line, "the file is not well-formed XML");
      break;
    }
    if (0 == ret)
      break;
    int type = xmlTextReaderNodeType (r->xr);
    int depth = xmlTextReaderDepth (r->xr);
    xmlNodePtr node = xmlTextReaderCurrentNode (r->xr);
    if (XML_READER_TYPE_DOCUMENT_TYPE == type)
    {
      fatal (r, node_line (node),
             "the file has a DOCTYPE declaration: DTDs and entities are not "
             "allowed in a licence list (remove the <!DOCTYPE ...>)");
      break;
    }
    if (depth > IMP_MAX_DEPTH)
    {
      fatal (r, node_line (node),
             "elements are nested more than %d levels deep", IMP_MAX_DEPTH);
      break;
    }
    if (XML_READER_TYPE_ELEMENT == type)
    {
      if (NULL != node->ns && NULL != node->ns->href
          && (0 == strcmp ((const char *) node->ns->href, XINCLUDE_NS_2001)
              || 0 == strcmp ((const char *) node->ns->href, XINCLUDE_NS_2003)))
      {
        fatal (
            r, node_line (node),
            "the file uses XInclude (<%s%s%s>): including other files is "
            "not allowed",
            (NULL != node->ns->prefix) ? (const char *) node->ns->prefix : "",
            (NULL != node->ns->prefix) ? ":" : "", (const char *) node->name);
        break;
      }
      if (0 == depth)
      {
        stop = handle_root (r, node);
        if (NULL != r->fatal)
          break;
      }
      bool may_contain;
      if (is_record (p, node, depth, &may_contain))
      {
        stop = handle_record (r, node, depth);
        if (NULL != r->fatal)
          break;
        skip = true;
        if (0 == r->info->records % PROGRESS_EVERY && NULL != r->sink->progress)
          r->sink->progress (r->sink->cls, r->info->bytes, r->info->records);
        continue;
      }
      if (p->canonical && 1 == depth)
      {
        char got[300];
        describe_element (node, CANONICAL_NS, got, sizeof got);
        fatal (r, node_line (node),
               "unexpected element %s in <licenceList>: only <agency> "
               "elements may be there",
               got);
        break;
      }
      skip = !may_contain;
      continue;
    }
    if (p->canonical && 1 == depth
        && (XML_READER_TYPE_TEXT == type || XML_READER_TYPE_CDATA == type)
        && !blank_text (xmlTextReaderConstValue (r->xr)))
    {
      fatal (r, node_line (node),
             "text outside any <agency>: only <agency> elements may be in "
             "<licenceList>");
      break;
    }
  }
  return stop;
}

/* --- the entry point ----------------------------------------------------------- */

static void
reader_release (struct reader *r)
{
  free_compiled (r);
  arena_free (&r->arena);
  free (r->text.data);
  free (r->problems);
  free (r->names);
  free (r->officers);
  free (r->personnel);
  free (r->branches);
  free (r->licences);
}

/* Reads the rest of FD into the hash, so that it covers the whole file. */
static void
drain (struct reader *r)
{
  char buf[65536];
  ssize_t n;
  while ((n = read_some (r->fd, buf, sizeof buf)) > 0)
  {
    crypto_hash_sha256_update (&r->sha, (const unsigned char *) buf,
                               (size_t) n);
    r->info->bytes += (unsigned long long) n;
  }
}

enum imp_read_result
imp_read (int fd, const char *name, const struct imp_profile *profile,
          const struct imp_sink *sink, struct imp_read_info *info, char **error)
{
  static const struct imp_sink no_sink;
  struct reader r;
  enum imp_read_result result = IMP_READ_OK;

  memset (&r, 0, sizeof r);
  memset (info, 0, sizeof *info);
  *error = NULL;
  r.fd = fd;
  r.info = info;
  r.sink = (NULL != sink) ? sink : &no_sink;
  r.line = 1;
  r.in_prolog = true;
  r.profile = (NULL != profile) ? profile : imp_profile_canonical ();
  crypto_hash_sha256_init (&r.sha);

  pthread_once (&setup_once, setup);
  if (NULL == r.profile)
    fatal (&r, 0, "internal error: the canonical profile does not load");
  else if (r.profile->canonical && NULL == canonical_schema)
    fatal (&r, 0, "%s",
           ('\0' != setup_error[0]) ? setup_error
                                    : "internal error: no XML Schema");

  xmlRegisterNodeFunc saved_hook = NULL;
  struct reader *saved_reader = current_reader;
  xmlStructuredErrorFunc saved_errors = NULL;
  void *saved_errors_cls = NULL;
  xmlGenericErrorFunc saved_generic = NULL;
  void *saved_generic_cls = NULL;
  bool hooked = false;
  if (NULL == r.fatal)
  {
    hooked = true;
    current_reader = &r;
    /* This thread's slot, through libxml2's per-thread macro: the function
       xmlRegisterNodeDefault() is compiled where that macro is undefined,
       so in 2.9 it sets only the main thread's hook and worker threads of
       the server would never see the callback. */
    saved_hook = xmlRegisterNodeDefaultValue;
    xmlRegisterNodeDefaultValue = node_created;
    /* The parser's errors go to this thread's structured handler while we
       read (the reader's own handler cannot be used: see below). */
    saved_errors = xmlStructuredError;
    saved_errors_cls = xmlStructuredErrorContext;
    saved_generic = xmlGenericError;
    saved_generic_cls = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc (&r, on_error);
    xmlSetGenericErrorFunc (NULL, quiet);
    /* NONET: never the network.  Nothing that loads a DTD, substitutes
       entities, processes XInclude or lifts libxml2's size limits
       (XML_PARSE_HUGE).  Not NOCDATA either: in 2.9.14, with a schema
       attached to the reader, it drops the text of CDATA sections; CDATA
       nodes are read as text below instead. */
    r.xr = xmlReaderForIO (io_read, NULL, &r, name, NULL, XML_PARSE_NONET);
    if (NULL == r.xr)
      fatal (&r, 0, "out of memory");
  }
  if (NULL == r.fatal && r.profile->canonical)
  {
    /* Our own validation context, so that its errors come to us directly:
       in 2.9.14 the reader's structured error relay breaks once a schema is
       plugged into the parser (it takes the plug for the parser context). */
    r.validation = xmlSchemaNewValidCtxt (canonical_schema);
    if (NULL != r.validation)
      xmlSchemaSetValidStructuredErrors (r.validation, on_error, &r);
    if (NULL == r.validation
        || 0 != xmlTextReaderSchemaValidateCtxt (r.xr, r.validation, 0))
      fatal (&r, 0, "internal error: the XML Schema cannot be attached");
  }
  if (NULL == r.fatal)
  {
    info->stop_value = read_all (&r);
    if (0 != info->stop_value)
      result = IMP_READ_STOPPED;
  }
  if (IMP_READ_OK == result && NULL == r.fatal)
  {
    if (NULL == r.root || !r.list_done)
      fatal (&r, 0, "the file has no root element");
    else if (0 == info->records && r.profile->canonical)
      fatal (&r, 0, "the list has no <agency>");
    else if (0 == info->records)
      fatal (&r, 0,
             "no record element %s in the file: is %s the right profile?",
             r.profile->record_text, r.profile->name);
    else if (0 != r.pending_count)
      fatal (&r, r.pending[0].line, "the file is not valid: %s",
             r.pending[0].message);
  }
  if (NULL != r.xr)
    xmlFreeTextReader (r.xr);
  if (NULL != r.validation)
    xmlSchemaFreeValidCtxt (r.validation);
  if (NULL != r.fatal && IMP_READ_STOPPED != result)
  {
    result = IMP_READ_REFUSED;
    if (!r.io_failed)
      drain (&r);
  }
  if (NULL != r.sink->progress && IMP_READ_OK == result)
    r.sink->progress (r.sink->cls, info->bytes, info->records);
  if (hooked)
  {
    xmlRegisterNodeDefaultValue = saved_hook;
    xmlSetStructuredErrorFunc (saved_errors_cls, saved_errors);
    xmlSetGenericErrorFunc (saved_generic_cls, saved_generic);
    current_reader = saved_reader;
  }
  crypto_hash_sha256_final (&r.sha, info->sha256);
  sodium_bin2hex (info->sha256_hex, sizeof info->sha256_hex, info->sha256,
                  sizeof info->sha256);
  if (IMP_READ_REFUSED == result)
    *error = strdup (r.fatal);
  reader_release (&r);
  return result;
}
