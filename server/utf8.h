/*
 * UTF-8 validation: every string that enters the registry is checked, so that
 * nothing downstream (jansson, PostgreSQL, templates) meets malformed text.
 */
#ifndef FAIRREG_UTF8_H
#define FAIRREG_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True if the LEN bytes at S are well-formed UTF-8 (no overlongs, no
   surrogates, nothing above U+10FFFF) and contain no NUL byte. */
bool utf8_valid (const char *s, size_t len);

#endif
