/*
 * Files compiled into the binary by build-aux/embed.c: the schema migrations,
 * templates, XML Schema and OpenAPI document.  Paths are relative to the
 * source tree ("schema/0001_core.sql").  Each `data` is NUL-terminated.
 */
#ifndef FAIRREG_EMBEDDED_H
#define FAIRREG_EMBEDDED_H

#include <stddef.h>

struct embedded_file
{
  const char *path;
  const char *data;
  size_t size;
};

/* Terminated by an entry whose path is NULL, sorted by path. */
extern const struct embedded_file embedded_files[];

/* The file at PATH, or NULL. */
const struct embedded_file *embedded_find (const char *path);

#endif
