/*
 * Mustache templates over jansson values.  Debian 12 ships no C mustache
 * library, so this is the project's own renderer; tests/unit/test_template.c
 * proves it against the official specification in ../shared/mustache-spec/.
 * Templates are compiled once (at start for the server) into a set, and
 * rendered many times from many threads: rendering never modifies the set.
 * HTML escaping covers & < > " and ' (so single-quoted attributes are safe).
 */
#ifndef FAIRREG_TEMPLATE_H
#define FAIRREG_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

struct tmpl_set;

/* An empty set.  Never NULL (aborts on out of memory). */
struct tmpl_set *tmpl_set_new (void);

/* Frees SET and its templates; NULL is fine. */
void tmpl_set_free (struct tmpl_set *set);

/* Compiles TEXT (LEN bytes, copied) as template NAME, which is also the name
   partials use to include it.  Returns 0, or -1 with *ERR set to a malloc'ed
   message naming the line and the problem (caller frees). */
int tmpl_set_add (struct tmpl_set *set, const char *name, const char *text,
                  size_t len, char **err);

/* Renders template NAME with DATA as the context.  On success returns 0 and
   sets *OUT to a malloc'ed NUL-terminated string of *OUT_LEN bytes (caller
   frees).  Returns -1 with *ERR (malloc'ed) if NAME is unknown.  A partial
   that is not in the set renders as empty text, as the specification says. */
int tmpl_render (const struct tmpl_set *set, const char *name,
                 const json_t *data, char **out, size_t *out_len, char **err);

#endif
