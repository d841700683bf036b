/*
 * fr_fold in C.  The database folds every name with fr_fold(text) =
 * lower(unaccent(text)) (schema/0001_foundation.sql); the in-process name
 * search must fold a query exactly the same way without a round trip.
 * Every rule of unaccent maps one code point, and lower() maps code point by
 * code point in a libc collation, so fr_fold is a per-code-point map: the
 * map is read from the database itself (fr_fold of every code point it
 * changes) rather than copied from unaccent.rules, and so matches the
 * database's own rules and locale by construction.  The search index checks
 * it again on every name it loads (search_index.c) and reloads it on the
 * first difference.
 */
#ifndef FAIRREG_FOLD_H
#define FAIRREG_FOLD_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fold_map;

/* An empty map (the identity), to be filled with fold_map_add; for tests and
   for fold_map_load.  Never NULL (aborts on out of memory). */
struct fold_map *fold_map_new (void);

/* Maps code point CP to the UTF-8 text TARGET (possibly empty: removed).
   Call before the first fold_utf8; a later rule for the same CP wins. */
void fold_map_add (struct fold_map *map, uint32_t cp, const char *target);

/* Reads fr_fold of every code point it changes from the database on PG (any
   role that may execute fr_fold; about 1.5 s of database time).  Returns
   NULL and a reason in WHY on failure. */
struct fold_map *fold_map_load (PGconn *pg, char *why, size_t why_size);

/* Frees MAP; NULL is fine. */
void fold_map_free (struct fold_map *map);

/* Number of code points the map changes. */
size_t fold_map_size (const struct fold_map *map);

/* Folds the LEN bytes of UTF-8 TEXT into OUT (OUT_SIZE bytes) and returns
   the length of the folded text, like snprintf: when it is OUT_SIZE or more,
   OUT holds a truncated prefix (NUL-terminated if OUT_SIZE > 0) and the call
   must be repeated with a larger buffer.  A malformed byte becomes U+FFFD. */
size_t fold_utf8 (const struct fold_map *map, const char *text, size_t len,
                  char *out, size_t out_size);

/* Decodes the code point at TEXT[*POS] (of LEN bytes), advancing *POS;
   U+FFFD for a malformed or truncated sequence (one byte consumed). */
uint32_t fold_utf8_next (const char *text, size_t len, size_t *pos);

/* Encodes CP as UTF-8 into OUT (4 bytes at most); returns the length. */
size_t fold_utf8_put (uint32_t cp, char out[4]);

#endif
