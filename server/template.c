/*
 * Mustache templates over jansson values (see template.h).  The server
 * compiles every template once at start and then renders pages from the same
 * set on whichever thread serves a request, so all the parsing and all the
 * whitespace rules of the specification (standalone lines, indentation of
 * partials and blocks) are settled here at compile time: a template becomes a
 * flat array of nodes, and rendering is one read-only walk over it that
 * appends to a single growable buffer.
 *
 * Values: false, null, an empty array and a missing name are falsy; anything
 * else (0 and "" included) is truthy.  Integers print as integers, reals in
 * the shortest form that reads back the same (1.21, not 1.2099999999999999),
 * true and false as "true" and "false"; objects and arrays print nothing.
 * Besides the core specification this implements the optional inheritance
 * ({{<parent}} with {{$block}}) and dynamic names ({{>*name}}) modules, but
 * not lambdas, which have no form in JSON.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

/* A partial, parent or block override that includes itself would recurse
   forever; deeper inclusions than this render as empty text. */
#define TMPL_MAX_INCLUDE_DEPTH 64

/* Sections, inverted sections, parents and blocks nest at most this deep in
   one template, which bounds the renderer's recursion within a template. */
#define TMPL_MAX_NESTING 100

/* How much of a name an error message quotes. */
#define TMPL_QUOTE_MAX 60

#define NOT_FOUND SIZE_MAX

enum node_kind
{
  NODE_TEXT,
  NODE_VAR,      /* {{name}}, HTML-escaped */
  NODE_RAW,      /* {{{name}}} and {{&name}} */
  NODE_SECTION,  /* {{#name}} */
  NODE_INVERTED, /* {{^name}} */
  NODE_CLOSE,    /* {{/name}} */
  NODE_PARTIAL,  /* {{>name}} */
  NODE_PARENT,   /* {{<name}} */
  NODE_BLOCK,    /* {{$name}} */
  NODE_COMMENT,  /* {{!...}}, compile time only */
  NODE_DELIM     /* {{=<% %>=}}, compile time only */
};

enum node_flag
{
  /* The first output of a source line: indentation is written before it. */
  FLAG_BOL = 1,
  /* Alone on its line, so the line's whitespace and newline were removed. */
  FLAG_STANDALONE = 2,
  /* {{>*name}}: the template's name is the value of NAME in the context. */
  FLAG_DYNAMIC = 4,
  /* Compile time: text that belongs to a standalone line. */
  FLAG_HIDDEN = 8,
  /* Compile time: a block whose content starts on a line of its own. */
  FLAG_OPEN_LINE = 16,
  /* Compile time: indent_off is the index of the token holding the
     indentation, not yet an offset into the source. */
  FLAG_INDENT_TOKEN = 32
};

struct node
{
  unsigned char kind;
  unsigned char flags;
  /* Dotted names: the number of parts, 0 for the implicit iterator ".". */
  unsigned nseg;
  /* Sections, parents, blocks: index of their NODE_CLOSE.  NODE_CLOSE: index
     of the tag it closes. */
  size_t end;
  /* NODE_TEXT: the text; tags: the name as written; both in src. */
  size_t off;
  size_t len;
  /* Tags: offset in names of the name, one NUL-terminated string per part. */
  size_t name;
  /* Standalone partials, parents and blocks: the indentation they give their
     content, in src. */
  size_t indent_off;
  size_t indent_len;
};

struct tmpl
{
  char *name;
  size_t name_len;
  char *src; /* the text as added, NUL-terminated */
  size_t src_len;
  char *names;
  struct node *nodes;
  size_t nnodes;
};

struct tmpl_set
{
  struct tmpl **tmpls;
  size_t count;
  size_t cap;
  /* Open addressing by name: 1 + index into tmpls, or 0 for a free slot.
     index_cap is a power of two and at least twice count. */
  size_t *index;
  size_t index_cap;
};

/* ---- memory and buffers ---- */

static void *
xmalloc (size_t size)
{
  void *p = malloc (0 == size ? 1 : size);
  if (NULL == p)
    abort ();
  return p;
}

static void *
xrealloc (void *old, size_t size)
{
  void *p = realloc (old, 0 == size ? 1 : size);
  if (NULL == p)
    abort ();
  return p;
}

static void *
xcalloc (size_t count, size_t size)
{
  void *p = calloc (0 == count ? 1 : count, 0 == size ? 1 : size);
  if (NULL == p)
    abort ();
  return p;
}

/* Grows an array of SIZE-byte items to hold at least NEED of them. */
static void *
grow_array (void *items, size_t *cap, size_t need, size_t size)
{
  if (need <= *cap)
    return items;
  size_t n = 0 == *cap ? 16 : *cap;
  while (n < need)
  {
    if (n > SIZE_MAX / 2 / size)
      abort ();
    n *= 2;
  }
  *cap = n;
  return xrealloc (items, n * size);
}

struct buf
{
  char *data;
  size_t len;
  size_t cap;
};

static void
buf_reserve (struct buf *b, size_t more)
{
  if (b->cap - b->len >= more)
    return;
  if (more > SIZE_MAX - b->len)
    abort ();
  b->data = grow_array (b->data, &b->cap, b->len + more, 1);
}

static void
buf_add (struct buf *b, const char *s, size_t n)
{
  if (0 == n)
    return;
  buf_reserve (b, n);
  memcpy (b->data + b->len, s, n);
  b->len += n;
}

/* Appends S with & < > " ' replaced by entities, copying the runs between
   them whole. */
static void
buf_add_escaped (struct buf *b, const char *s, size_t n)
{
  size_t run = 0;
  for (size_t i = 0; i < n; i++)
  {
    const char *entity;
    switch (s[i])
    {
    case '&':
      entity = "&amp;";
      break;
    case '<':
      entity = "&lt;";
      break;
    case '>':
      entity = "&gt;";
      break;
    case '"':
      entity = "&quot;";
      break;
    case '\'':
      entity = "&#39;";
      break;
    default:
      continue;
    }
    buf_add (b, s + run, i - run);
    buf_add (b, entity, strlen (entity));
    run = i + 1;
  }
  buf_add (b, s + run, n - run);
}

static char *
vformat (const char *fmt, va_list ap)
{
  va_list again;
  va_copy (again, ap);
  int n = vsnprintf (NULL, 0, fmt, ap);
  if (n < 0)
    abort ();
  char *s = xmalloc ((size_t) n + 1);
  vsnprintf (s, (size_t) n + 1, fmt, again);
  va_end (again);
  return s;
}

static char *xasprintf (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *s = vformat (fmt, ap);
  va_end (ap);
  return s;
}

/* A length for "%.*s" that keeps quoted names in messages short. */
static int
quote_len (size_t len)
{
  return len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : (int) len;
}

/* ---- the set's name index ---- */

static size_t
hash_name (const char *s, size_t len)
{
  uint64_t h = 14695981039346656037u;
  for (size_t i = 0; i < len; i++)
  {
    h ^= (unsigned char) s[i];
    h *= 1099511628211u;
  }
  return (size_t) h;
}

static const struct tmpl *
set_find (const struct tmpl_set *set, const char *name, size_t len)
{
  if (0 == set->index_cap)
    return NULL;
  size_t mask = set->index_cap - 1;
  for (size_t i = hash_name (name, len) & mask;; i = (i + 1) & mask)
  {
    size_t slot = set->index[i];
    if (0 == slot)
      return NULL;
    const struct tmpl *t = set->tmpls[slot - 1];
    if (t->name_len == len && 0 == memcmp (t->name, name, len))
      return t;
  }
}

static void
index_put (size_t *slots, size_t cap, const struct tmpl *t, size_t slot)
{
  size_t mask = cap - 1;
  size_t i = hash_name (t->name, t->name_len) & mask;
  while (0 != slots[i])
    i = (i + 1) & mask;
  slots[i] = slot;
}

/* Takes ownership of T. */
static void
set_insert_steal (struct tmpl_set *set, struct tmpl *t)
{
  set->tmpls
      = grow_array (set->tmpls, &set->cap, set->count + 1, sizeof *set->tmpls);
  set->tmpls[set->count++] = t;
  if (set->count * 2 > set->index_cap)
  {
    size_t cap = 0 == set->index_cap ? 32 : set->index_cap * 2;
    size_t *slots = xcalloc (cap, sizeof *slots);
    for (size_t i = 0; i < set->count; i++)
      index_put (slots, cap, set->tmpls[i], i + 1);
    free (set->index);
    set->index = slots;
    set->index_cap = cap;
  }
  else
    index_put (set->index, set->index_cap, t, set->count);
}

static void
tmpl_free (struct tmpl *t)
{
  if (NULL == t)
    return;
  free (t->name);
  free (t->src);
  free (t->names);
  free (t->nodes);
  free (t);
}

/* Never NULL: out of memory aborts here as everywhere in this file. */
struct tmpl_set *
tmpl_set_new (void)
{
  return xcalloc (1, sizeof (struct tmpl_set));
}

void
tmpl_set_free (struct tmpl_set *set)
{
  if (NULL == set)
    return;
  for (size_t i = 0; i < set->count; i++)
    tmpl_free (set->tmpls[i]);
  free (set->tmpls);
  free (set->index);
  free (set);
}

/* ---- compiling: scanning tags ---- */

struct compiler
{
  const char *src;
  size_t len;
  size_t pos;
  unsigned line; /* of src[pos], from 1 */
  const char *otag;
  size_t olen;
  const char *ctag;
  size_t clen;
  struct node *toks;
  size_t ntoks;
  size_t cap;
  struct buf names;
  size_t open[TMPL_MAX_NESTING]; /* tokens of the sections not yet closed */
  unsigned open_line[TMPL_MAX_NESTING];
  size_t nopen;
  char *err;
};

static int fail (struct compiler *c, unsigned line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Records the first error as "line N: problem" and returns -1. */
static int
fail (struct compiler *c, unsigned line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *problem = vformat (fmt, ap);
  va_end (ap);
  free (c->err);
  c->err = xasprintf ("line %u: %s", line, problem);
  free (problem);
  return -1;
}

static const char *
kind_word (unsigned kind)
{
  switch (kind)
  {
  case NODE_INVERTED:
    return "inverted section";
  case NODE_PARENT:
    return "parent";
  case NODE_BLOCK:
    return "block";
  default:
    return "section";
  }
}

static size_t
find (const char *s, size_t len, size_t from, const char *needle, size_t nlen)
{
  while (from < len && nlen <= len - from)
  {
    const char *p = memchr (s + from, needle[0], len - from - nlen + 1);
    if (NULL == p)
      return NOT_FOUND;
    if (0 == memcmp (p, needle, nlen))
      return (size_t) (p - s);
    from = (size_t) (p - s) + 1;
  }
  return NOT_FOUND;
}

static bool
is_space (char ch)
{
  return ' ' == ch || '\t' == ch || '\r' == ch || '\n' == ch;
}

static unsigned
count_lines (const char *s, size_t from, size_t to)
{
  unsigned n = 0;
  for (size_t i = from; i < to; i++)
    n += '\n' == s[i];
  return n;
}

static size_t
push_token (struct compiler *c, unsigned kind, size_t off, size_t len)
{
  c->toks = grow_array (c->toks, &c->cap, c->ntoks + 1, sizeof *c->toks);
  struct node *n = &c->toks[c->ntoks];
  memset (n, 0, sizeof *n);
  n->kind = (unsigned char) kind;
  n->off = off;
  n->len = len;
  return c->ntoks++;
}

/* Text becomes one token per line (each ends with its newline), so that the
   whitespace rules can work line by line on tokens. */
static void
add_text (struct compiler *c, size_t from, size_t to)
{
  while (from < to)
  {
    const char *nl = memchr (c->src + from, '\n', to - from);
    size_t end = NULL == nl ? to : (size_t) (nl - c->src) + 1;
    push_token (c, NODE_TEXT, from, end - from);
    from = end;
  }
}

/* Trims [*a, *b) of whitespace; fails if nothing is left. */
static int
trim_name (struct compiler *c, unsigned line, size_t *a, size_t *b)
{
  while (*a < *b && is_space (c->src[*a]))
    (*a)++;
  while (*b > *a && is_space (c->src[*b - 1]))
    (*b)--;
  if (*a == *b)
    return fail (c, line, "empty tag");
  for (size_t i = *a; i < *b; i++)
    if (is_space (c->src[i]))
      return fail (c, line, "tag name \"%.*s\" contains whitespace",
                   quote_len (*b - *a), c->src + *a);
  return 0;
}

static void
add_literal_name (struct compiler *c, size_t tok, size_t a, size_t b)
{
  c->toks[tok].name = c->names.len;
  buf_add (&c->names, c->src + a, b - a);
  buf_add (&c->names, "", 1);
}

/* "a.b.c" is stored as three NUL-terminated parts; "." as none. */
static int
add_dotted_name (struct compiler *c, unsigned line, size_t tok, size_t a,
                 size_t b)
{
  struct node *n = &c->toks[tok];
  n->name = c->names.len;
  if (1 == b - a && '.' == c->src[a])
    return 0;
  size_t part = a;
  for (size_t i = a; i <= b; i++)
  {
    if (i < b && '.' != c->src[i])
      continue;
    if (i == part)
      return fail (c, line, "name \"%.*s\" has an empty part",
                   quote_len (b - a), c->src + a);
    buf_add (&c->names, c->src + part, i - part);
    buf_add (&c->names, "", 1);
    n->nseg++;
    part = i + 1;
  }
  return 0;
}

/* The name of a partial or parent: a template name, or with a leading "*"
   a dotted name whose value is the template name. */
static int
add_include_name (struct compiler *c, unsigned line, size_t tok, size_t a,
                  size_t b)
{
  while (a < b && is_space (c->src[a]))
    a++;
  while (b > a && is_space (c->src[b - 1]))
    b--;
  c->toks[tok].off = a;
  c->toks[tok].len = b - a;
  if (a < b && '*' == c->src[a])
  {
    size_t s = a + 1, e = b;
    if (0 != trim_name (c, line, &s, &e))
      return -1;
    c->toks[tok].flags |= FLAG_DYNAMIC;
    return add_dotted_name (c, line, tok, s, e);
  }
  if (0 != trim_name (c, line, &a, &b))
    return -1;
  add_literal_name (c, tok, a, b);
  return 0;
}

static int
change_delimiters (struct compiler *c, unsigned line, size_t a, size_t b)
{
  size_t s = a + 1, e = b - 1;
  if (b - a < 2 || '=' != c->src[e])
    goto bad;
  while (s < e && is_space (c->src[s]))
    s++;
  while (e > s && is_space (c->src[e - 1]))
    e--;
  size_t mid = s;
  while (mid < e && !is_space (c->src[mid]))
    mid++;
  size_t second = mid;
  while (second < e && is_space (c->src[second]))
    second++;
  if (mid == s || second == e)
    goto bad;
  for (size_t i = s; i < e; i++)
    if ((i >= second && is_space (c->src[i])) || '=' == c->src[i])
      goto bad;
  c->otag = c->src + s;
  c->olen = mid - s;
  c->ctag = c->src + second;
  c->clen = e - second;
  push_token (c, NODE_DELIM, a, b - a);
  return 0;
bad:
  return fail (c, line,
               "bad delimiter change \"%.*s\": expected two delimiters "
               "separated by whitespace",
               quote_len (b - a), c->src + a);
}

static int
open_section (struct compiler *c, unsigned line, unsigned kind, size_t a,
              size_t b)
{
  if (c->nopen == TMPL_MAX_NESTING)
    return fail (c, line, "sections nested more than %d deep",
                 TMPL_MAX_NESTING);
  size_t tok = push_token (c, kind, a, b - a);
  c->open[c->nopen] = tok;
  c->open_line[c->nopen] = line;
  c->nopen++;
  if (NODE_PARENT == kind)
    return add_include_name (c, line, tok, a, b);
  if (0 != trim_name (c, line, &a, &b))
    return -1;
  c->toks[tok].off = a;
  c->toks[tok].len = b - a;
  if (NODE_BLOCK == kind)
  {
    add_literal_name (c, tok, a, b);
    return 0;
  }
  return add_dotted_name (c, line, tok, a, b);
}

static int
close_section (struct compiler *c, unsigned line, size_t a, size_t b)
{
  if (0 != trim_name (c, line, &a, &b))
    return -1;
  if (0 == c->nopen)
    return fail (c, line, "closing tag \"%.*s\" has no open section",
                 quote_len (b - a), c->src + a);
  size_t opener = c->open[c->nopen - 1];
  const struct node *o = &c->toks[opener];
  if (o->len != b - a || 0 != memcmp (c->src + o->off, c->src + a, b - a))
    return fail (c, line,
                 "closing tag \"%.*s\" does not match %s \"%.*s\" opened on "
                 "line %u",
                 quote_len (b - a), c->src + a, kind_word (o->kind),
                 quote_len (o->len), c->src + o->off,
                 c->open_line[c->nopen - 1]);
  c->nopen--;
  size_t tok = push_token (c, NODE_CLOSE, a, b - a);
  c->toks[tok].end = opener;
  c->toks[opener].end = tok;
  return 0;
}

/* Reads the tag at c->pos, which starts with the opening delimiter. */
static int
scan_tag (struct compiler *c)
{
  unsigned line = c->line;
  size_t p = c->pos + c->olen;
  size_t a, b, end;
  bool triple = p < c->len && '{' == c->src[p];
  if (triple)
  {
    /* The closing delimiter is "}" followed by the current one. */
    size_t from = p + 1, r;
    do
    {
      r = find (c->src, c->len, from, c->ctag, c->clen);
      from = r + 1;
    } while (NOT_FOUND != r && !(r > p + 1 && '}' == c->src[r - 1]));
    if (NOT_FOUND == r)
      return fail (c, line, "tag \"%.*s{\" is never closed with \"}%.*s\"",
                   quote_len (c->olen), c->otag, quote_len (c->clen), c->ctag);
    a = p + 1;
    b = r - 1;
    end = r + c->clen;
  }
  else
  {
    size_t r = find (c->src, c->len, p, c->ctag, c->clen);
    if (NOT_FOUND == r)
      return fail (c, line, "tag \"%.*s\" is never closed with \"%.*s\"",
                   quote_len (c->olen), c->otag, quote_len (c->clen), c->ctag);
    a = p;
    b = r;
    end = r + c->clen;
  }
  c->line += count_lines (c->src, c->pos, end);
  c->pos = end;
  if (triple)
  {
    if (0 != trim_name (c, line, &a, &b))
      return -1;
    size_t tok = push_token (c, NODE_RAW, a, b - a);
    return add_dotted_name (c, line, tok, a, b);
  }
  char sigil = a < b ? c->src[a] : '\0';
  switch (sigil)
  {
  case '!':
    push_token (c, NODE_COMMENT, a, b - a);
    return 0;
  case '=':
    return change_delimiters (c, line, a, b);
  case '#':
    return open_section (c, line, NODE_SECTION, a + 1, b);
  case '^':
    return open_section (c, line, NODE_INVERTED, a + 1, b);
  case '<':
    return open_section (c, line, NODE_PARENT, a + 1, b);
  case '$':
    return open_section (c, line, NODE_BLOCK, a + 1, b);
  case '/':
    return close_section (c, line, a + 1, b);
  case '>':
    return add_include_name (c, line, push_token (c, NODE_PARTIAL, a, 0), a + 1,
                             b);
  case '&':
    a++;
    break;
  default:
    break;
  }
  if (0 != trim_name (c, line, &a, &b))
    return -1;
  size_t tok = push_token (c, '&' == sigil ? NODE_RAW : NODE_VAR, a, b - a);
  return add_dotted_name (c, line, tok, a, b);
}

static int
scan (struct compiler *c)
{
  while (c->pos < c->len)
  {
    size_t at = find (c->src, c->len, c->pos, c->otag, c->olen);
    size_t text_end = NOT_FOUND == at ? c->len : at;
    add_text (c, c->pos, text_end);
    c->line += count_lines (c->src, c->pos, text_end);
    c->pos = text_end;
    if (NOT_FOUND != at && 0 != scan_tag (c))
      return -1;
  }
  if (c->nopen > 0)
  {
    const struct node *o = &c->toks[c->open[c->nopen - 1]];
    return fail (c, c->open_line[c->nopen - 1], "%s \"%.*s\" is never closed",
                 kind_word (o->kind), quote_len (o->len), c->src + o->off);
  }
  return 0;
}

/* ---- compiling: whitespace ---- */

static const char *
tok_text (const struct compiler *c, size_t k)
{
  return c->src + c->toks[k].off;
}

/* Length of the newline that ends text token K: 0, 1 or 2 ("\r\n"). */
static size_t
newline_len (const struct compiler *c, size_t k)
{
  const struct node *n = &c->toks[k];
  const char *s = tok_text (c, k);
  if (NODE_TEXT != n->kind || 0 == n->len || '\n' != s[n->len - 1])
    return 0;
  return n->len >= 2 && '\r' == s[n->len - 2] ? 2 : 1;
}

static size_t
leading_blanks (const struct compiler *c, size_t k)
{
  if (NODE_TEXT != c->toks[k].kind)
    return 0;
  const char *s = tok_text (c, k);
  size_t i = 0;
  while (i < c->toks[k].len && (' ' == s[i] || '\t' == s[i]))
    i++;
  return i;
}

/* Whether text token K is spaces and tabs, perhaps ending with a newline. */
static bool
is_blank_text (const struct compiler *c, size_t k)
{
  return leading_blanks (c, k) + newline_len (c, k) == c->toks[k].len;
}

/* The last token of the line that starts at token K, stopping before STOP. */
static size_t
line_last (const struct compiler *c, size_t k, size_t stop)
{
  while (k + 1 < stop && 0 == newline_len (c, k))
    k++;
  return k;
}

/* Whether a tag can make its line standalone.  Beyond the specification's
   one tag per line, the inheritance tests also treat lines made only of
   parent and block tags ("{{<parent}}{{$block}}") as standalone. */
static bool
can_stand_alone (const struct compiler *c, const struct node *n, bool alone)
{
  switch (n->kind)
  {
  case NODE_SECTION:
  case NODE_INVERTED:
  case NODE_COMMENT:
  case NODE_DELIM:
  case NODE_PARTIAL:
    return alone;
  case NODE_CLOSE:
    return alone || NODE_PARENT == c->toks[n->end].kind
           || NODE_BLOCK == c->toks[n->end].kind;
  case NODE_PARENT:
  case NODE_BLOCK:
    return true;
  default:
    return false;
  }
}

/* If tokens FIRST..LAST (one line) hold only whitespace and tags that can
   stand alone, hides the line's text and marks the tags standalone; the
   leading whitespace becomes the indentation of partials, parents and
   blocks. */
static void
mark_line (struct compiler *c, size_t first, size_t last)
{
  size_t ntags = 0, tag0 = 0, tag1 = 0;
  for (size_t k = first; k <= last; k++)
  {
    if (NODE_TEXT == c->toks[k].kind)
    {
      if (!is_blank_text (c, k))
        return;
      continue;
    }
    if (0 == ntags)
      tag0 = k;
    else if (1 == ntags)
      tag1 = k;
    ntags++;
  }
  if (0 == ntags)
    return;
  for (size_t k = first; k <= last; k++)
    if (NODE_TEXT != c->toks[k].kind
        && !can_stand_alone (c, &c->toks[k], 1 == ntags))
      return;
  /* A standalone empty block ("  {{$b}}{{/b}}") keeps its line's newline,
     as the specification's "Standalone block" test requires. */
  bool keep_newline = 2 == ntags && NODE_BLOCK == c->toks[tag0].kind
                      && tag1 == c->toks[tag0].end;
  bool has_lead = NODE_TEXT == c->toks[first].kind;
  for (size_t k = first; k <= last; k++)
  {
    struct node *n = &c->toks[k];
    if (NODE_TEXT == n->kind)
    {
      size_t nl = newline_len (c, k);
      if (keep_newline && k == last && nl > 0)
      {
        n->off += n->len - nl;
        n->len = nl;
      }
      else
        n->flags |= FLAG_HIDDEN;
      continue;
    }
    n->flags |= FLAG_STANDALONE;
    if (has_lead
        && (NODE_PARTIAL == n->kind || NODE_PARENT == n->kind
            || NODE_BLOCK == n->kind))
    {
      n->flags |= FLAG_INDENT_TOKEN;
      n->indent_off = first;
    }
    if (NODE_BLOCK == n->kind && !keep_newline && n->end > last)
      n->flags |= FLAG_OPEN_LINE;
  }
}

static bool
line_is_blank (const struct compiler *c, size_t first, size_t last)
{
  for (size_t k = first; k <= last; k++)
    if (NODE_TEXT != c->toks[k].kind || !is_blank_text (c, k))
      return false;
  return true;
}

/* A block whose content starts on its own line loses the content's common
   indentation here, at the site of definition, and gets the indentation of
   the site where it is expanded (the specification's "Block reindentation").
   The indentation removed from a default becomes the block's own. */
static void
dedent_block (struct compiler *c, size_t open)
{
  size_t stop = c->toks[open].end;
  const char *margin = NULL;
  size_t mlen = 0;
  for (size_t k = open + 1; k < stop; k = line_last (c, k, stop) + 1)
  {
    if (line_is_blank (c, k, line_last (c, k, stop)))
      continue;
    size_t blanks = leading_blanks (c, k);
    const char *s = tok_text (c, k);
    if (NULL == margin)
    {
      margin = s;
      mlen = blanks;
    }
    size_t m = 0;
    while (m < mlen && m < blanks && margin[m] == s[m])
      m++;
    mlen = m;
  }
  if (0 == mlen)
    return;
  for (size_t k = open + 1; k < stop; k = line_last (c, k, stop) + 1)
  {
    size_t cut = leading_blanks (c, k);
    cut = cut < mlen ? cut : mlen;
    c->toks[k].off += cut;
    c->toks[k].len -= cut;
  }
  struct node *o = &c->toks[open];
  o->flags &= (unsigned char) ~FLAG_INDENT_TOKEN;
  o->indent_off = (size_t) (margin - c->src);
  o->indent_len = mlen;
}

/* Marks the tokens before which indentation is written: the first of every
   source line that has any output, as if the indentation had been prepended
   to every non-empty line of the template's text. */
static void
mark_line_starts (struct compiler *c)
{
  bool at_start = true;
  for (size_t k = 0; k < c->ntoks; k++)
  {
    struct node *n = &c->toks[k];
    if (NODE_TEXT == n->kind)
    {
      if (n->flags & FLAG_HIDDEN)
      {
        if (newline_len (c, k) > 0)
          at_start = true;
        continue;
      }
      if (0 == n->len)
        continue;
      if (at_start && newline_len (c, k) != n->len)
        n->flags |= FLAG_BOL;
      at_start = newline_len (c, k) > 0;
    }
    else if (0 == (n->flags & FLAG_STANDALONE))
    {
      if (at_start)
        n->flags |= FLAG_BOL;
      at_start = false;
    }
  }
}

static void
settle_whitespace (struct compiler *c)
{
  for (size_t k = 0; k < c->ntoks; k = line_last (c, k, c->ntoks) + 1)
    mark_line (c, k, line_last (c, k, c->ntoks));
  /* In order, so that an outer block is dedented before the blocks in it
     measure their own margins. */
  for (size_t k = 0; k < c->ntoks; k++)
    if (NODE_BLOCK == c->toks[k].kind && (c->toks[k].flags & FLAG_OPEN_LINE))
      dedent_block (c, k);
  for (size_t k = 0; k < c->ntoks; k++)
  {
    struct node *n = &c->toks[k];
    if (n->flags & FLAG_INDENT_TOKEN)
    {
      const struct node *lead = &c->toks[n->indent_off];
      n->indent_off = lead->off;
      n->indent_len = lead->len;
      n->flags &= (unsigned char) ~FLAG_INDENT_TOKEN;
    }
  }
  mark_line_starts (c);
}

/* Drops what renders nothing (hidden and empty text, comments, delimiter
   changes), moving a dropped tag's line start to the next node. */
static void
compact (struct compiler *c)
{
  size_t *map = xmalloc (c->ntoks * sizeof *map);
  size_t out = 0;
  bool carry_bol = false;
  for (size_t k = 0; k < c->ntoks; k++)
  {
    struct node n = c->toks[k];
    if (NODE_COMMENT == n.kind || NODE_DELIM == n.kind
        || (NODE_TEXT == n.kind && ((n.flags & FLAG_HIDDEN) || 0 == n.len)))
    {
      carry_bol = carry_bol || (n.flags & FLAG_BOL);
      continue;
    }
    if (carry_bol)
      n.flags |= FLAG_BOL;
    carry_bol = false;
    map[k] = out;
    c->toks[out++] = n;
  }
  for (size_t k = 0; k < out; k++)
  {
    unsigned kind = c->toks[k].kind;
    if (NODE_SECTION == kind || NODE_INVERTED == kind || NODE_PARENT == kind
        || NODE_BLOCK == kind || NODE_CLOSE == kind)
      c->toks[k].end = map[c->toks[k].end];
  }
  free (map);
  c->ntoks = out;
}

/* As template.h says; besides, a NAME already in SET is an error (nothing is
   replaced, so a set never changes under a renderer), and ERR may be NULL.
   On error SET is unchanged. */
int
tmpl_set_add (struct tmpl_set *set, const char *name, const char *text,
              size_t len, char **err)
{
  if (NULL != err)
    *err = NULL;
  if (NULL != set_find (set, name, strlen (name)))
  {
    if (NULL != err)
      *err = xasprintf ("template \"%s\" is already in the set", name);
    return -1;
  }
  struct tmpl *t = xcalloc (1, sizeof *t);
  t->name_len = strlen (name);
  t->name = xmalloc (t->name_len + 1);
  memcpy (t->name, name, t->name_len + 1);
  t->src = xmalloc (len + 1);
  if (len > 0)
    memcpy (t->src, text, len);
  t->src[len] = '\0';
  t->src_len = len;

  struct compiler c = {
    .src = t->src,
    .len = len,
    .line = 1,
    .otag = "{{",
    .olen = 2,
    .ctag = "}}",
    .clen = 2,
  };
  if (0 != scan (&c))
  {
    if (NULL != err)
      *err = c.err;
    else
      free (c.err);
    free (c.toks);
    free (c.names.data);
    tmpl_free (t);
    return -1;
  }
  settle_whitespace (&c);
  compact (&c);
  t->nodes
      = 0 == c.ntoks ? c.toks : xrealloc (c.toks, c.ntoks * sizeof *c.toks);
  t->nnodes = c.ntoks;
  t->names = c.names.data;
  set_insert_steal (set, t);
  return 0;
}

/* ---- rendering ---- */

/* The context stack, innermost first, on the C stack of the renderer. */
struct context
{
  const json_t *value;
  const struct context *up;
};

/* Indentation written at line starts: the innermost piece last. */
struct indent
{
  const char *text;
  size_t len;
  const struct indent *up;
};

/* A {{<parent}} tag being expanded: its blocks override the parent's. */
struct override_scope
{
  const struct tmpl *t;
  size_t tag;
};

struct render
{
  const struct tmpl_set *set;
  struct buf out;
  unsigned depth; /* partials, parents and overrides being expanded */
  struct override_scope scopes[TMPL_MAX_INCLUDE_DEPTH];
  unsigned nscopes; /* outermost first */
};

static void render_range (struct render *r, const struct tmpl *t, size_t from,
                          size_t to, const struct context *ctx,
                          const struct indent *ind);

static void
write_indent (struct render *r, const struct indent *ind)
{
  if (NULL == ind)
    return;
  write_indent (r, ind->up);
  buf_add (&r->out, ind->text, ind->len);
}

/* Dotted names: the first part is looked up from the innermost context
   out, the others only inside what the first one found. */
static const json_t *
lookup (const struct tmpl *t, const struct node *n, const struct context *ctx)
{
  if (0 == n->nseg)
    return NULL == ctx ? NULL : ctx->value;
  const char *part = t->names + n->name;
  const json_t *v = NULL;
  for (; NULL != ctx && NULL == v; ctx = ctx->up)
    if (json_is_object (ctx->value))
      v = json_object_get (ctx->value, part);
  for (unsigned i = 1; i < n->nseg && NULL != v; i++)
  {
    part += strlen (part) + 1;
    v = json_is_object (v) ? json_object_get (v, part) : NULL;
  }
  return v;
}

static bool
is_truthy (const json_t *v)
{
  return NULL != v && !json_is_false (v) && !json_is_null (v)
         && !(json_is_array (v) && 0 == json_array_size (v));
}

static void
write_value (struct render *r, const json_t *v, bool escape)
{
  char num[40];
  int n = 0;
  switch (json_typeof (v))
  {
  case JSON_STRING:
    if (escape)
      buf_add_escaped (&r->out, json_string_value (v), json_string_length (v));
    else
      buf_add (&r->out, json_string_value (v), json_string_length (v));
    return;
  case JSON_INTEGER:
    n = snprintf (num, sizeof num, "%" JSON_INTEGER_FORMAT,
                  json_integer_value (v));
    break;
  case JSON_REAL:
    /* The shortest precision that reads back as the same double. */
    for (int prec = 15; prec <= 17; prec++)
    {
      n = snprintf (num, sizeof num, "%.*g", prec, json_real_value (v));
      if (strtod (num, NULL) == json_real_value (v))
        break;
    }
    break;
  case JSON_TRUE:
    n = snprintf (num, sizeof num, "true");
    break;
  case JSON_FALSE:
    n = snprintf (num, sizeof num, "false");
    break;
  default:
    return;
  }
  if (n > 0)
    buf_add (&r->out, num, (size_t) n < sizeof num ? (size_t) n : 0);
}

static const struct tmpl *
find_included (const struct render *r, const struct tmpl *t,
               const struct node *n, const struct context *ctx)
{
  if (0 == (n->flags & FLAG_DYNAMIC))
  {
    const char *name = t->names + n->name;
    return set_find (r->set, name, strlen (name));
  }
  const json_t *v = lookup (t, n, ctx);
  if (!json_is_string (v))
    return NULL;
  return set_find (r->set, json_string_value (v), json_string_length (v));
}

/* The indentation a standalone tag N gives its content, on top of IND. */
static const struct indent *
tag_indent (const struct tmpl *t, const struct node *n,
            const struct indent *ind, struct indent *space)
{
  if (0 == n->indent_len)
    return ind;
  space->text = t->src + n->indent_off;
  space->len = n->indent_len;
  space->up = ind;
  return space;
}

/* Partials and parents: a standalone tag indents every line of the included
   template; an inline one includes it as it is. */
static void
render_include (struct render *r, const struct tmpl *t, size_t i,
                const struct context *ctx, const struct indent *ind)
{
  const struct node *n = &t->nodes[i];
  const struct tmpl *inc = find_included (r, t, n, ctx);
  if (NULL == inc || r->depth >= TMPL_MAX_INCLUDE_DEPTH)
    return;
  struct indent space;
  const struct indent *inner
      = (n->flags & FLAG_STANDALONE) ? tag_indent (t, n, ind, &space) : NULL;
  r->depth++;
  if (NODE_PARENT == n->kind)
    r->scopes[r->nscopes++] = (struct override_scope){ t, i };
  render_range (r, inc, 0, inc->nnodes, ctx, inner);
  if (NODE_PARENT == n->kind)
    r->nscopes--;
  r->depth--;
}

/* Finds the override of block NAME, the outermost parent tag winning. */
static bool
find_override (const struct render *r, const char *name, const struct tmpl **bt,
               size_t *bi)
{
  for (unsigned s = 0; s < r->nscopes; s++)
  {
    const struct tmpl *t = r->scopes[s].t;
    size_t j = r->scopes[s].tag + 1, stop = t->nodes[r->scopes[s].tag].end;
    while (j < stop)
    {
      const struct node *n = &t->nodes[j];
      if (NODE_BLOCK == n->kind && 0 == strcmp (t->names + n->name, name))
      {
        *bt = t;
        *bi = j;
        return true;
      }
      bool has_body = NODE_SECTION == n->kind || NODE_INVERTED == n->kind
                      || NODE_PARENT == n->kind || NODE_BLOCK == n->kind;
      j = has_body ? n->end + 1 : j + 1;
    }
  }
  return false;
}

static void
render_block (struct render *r, const struct tmpl *t, size_t i,
              const struct context *ctx, const struct indent *ind)
{
  const struct node *n = &t->nodes[i];
  const struct tmpl *bt = t;
  size_t bi = i;
  bool overridden = find_override (r, t->names + n->name, &bt, &bi);
  if (overridden && r->depth >= TMPL_MAX_INCLUDE_DEPTH)
    return;
  size_t from = bi + 1, to = bt->nodes[bi].end + 1;
  struct indent space;
  const struct indent *inner = ind;
  if (n->flags & FLAG_STANDALONE)
  {
    inner = tag_indent (t, n, ind, &space);
    /* Content that starts mid-line in its own template still starts a line
       here. */
    const struct node *first = &bt->nodes[from];
    bool empty_line = NODE_TEXT == first->kind
                      && ('\n' == bt->src[first->off]
                          || 0 == strncmp (bt->src + first->off, "\r\n", 2));
    if (!(first->flags & (FLAG_BOL | FLAG_STANDALONE))
        && NODE_CLOSE != first->kind && !empty_line)
      write_indent (r, inner);
  }
  r->depth += overridden;
  render_range (r, bt, from, to, ctx, inner);
  r->depth -= overridden;
}

/* Renders nodes FROM..TO-1 of T.  A section's range includes its closing
   node, whose line start belongs to the section's content. */
static void
render_range (struct render *r, const struct tmpl *t, size_t from, size_t to,
              const struct context *ctx, const struct indent *ind)
{
  size_t i = from;
  while (i < to)
  {
    const struct node *n = &t->nodes[i];
    if (n->flags & FLAG_BOL)
      write_indent (r, ind);
    switch (n->kind)
    {
    case NODE_TEXT:
      buf_add (&r->out, t->src + n->off, n->len);
      i++;
      break;
    case NODE_VAR:
    case NODE_RAW:
    {
      const json_t *v = lookup (t, n, ctx);
      if (NULL != v)
        write_value (r, v, NODE_VAR == n->kind);
      i++;
      break;
    }
    case NODE_SECTION:
    {
      const json_t *v = lookup (t, n, ctx);
      if (json_is_array (v))
        for (size_t k = 0; k < json_array_size (v); k++)
        {
          struct context item = { json_array_get (v, k), ctx };
          render_range (r, t, i + 1, n->end + 1, &item, ind);
        }
      else if (is_truthy (v))
      {
        struct context top = { v, ctx };
        render_range (r, t, i + 1, n->end + 1, &top, ind);
      }
      i = n->end + 1;
      break;
    }
    case NODE_INVERTED:
      if (!is_truthy (lookup (t, n, ctx)))
        render_range (r, t, i + 1, n->end + 1, ctx, ind);
      i = n->end + 1;
      break;
    case NODE_PARTIAL:
      render_include (r, t, i, ctx, ind);
      i++;
      break;
    case NODE_PARENT:
      render_include (r, t, i, ctx, ind);
      i = n->end + 1;
      break;
    case NODE_BLOCK:
      render_block (r, t, i, ctx, ind);
      i = n->end + 1;
      break;
    default: /* NODE_CLOSE */
      i++;
      break;
    }
  }
}

/* As template.h says; ERR and OUT_LEN may be NULL.  *OUT is NULL on error.
   Reads SET and DATA only, so any number of threads may render at once. */
int
tmpl_render (const struct tmpl_set *set, const char *name, const json_t *data,
             char **out, size_t *out_len, char **err)
{
  *out = NULL;
  if (NULL != out_len)
    *out_len = 0;
  if (NULL != err)
    *err = NULL;
  const struct tmpl *t = set_find (set, name, strlen (name));
  if (NULL == t)
  {
    if (NULL != err)
      *err = xasprintf ("no template named \"%s\"", name);
    return -1;
  }
  struct render r = { .set = set };
  buf_reserve (&r.out, t->src_len + t->src_len / 2 + 64);
  struct context root = { data, NULL };
  render_range (&r, t, 0, t->nnodes, NULL == data ? NULL : &root, NULL);
  buf_add (&r.out, "", 1);
  *out = r.out.data;
  if (NULL != out_len)
    *out_len = r.out.len - 1;
  return 0;
}
