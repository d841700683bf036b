/*
 * Lookup over the files build-aux/embed.c compiled into the binary.
 */
#include <string.h>

#include "embedded.h"

const struct embedded_file *
embedded_find (const char *path)
{
  for (const struct embedded_file *f = embedded_files; NULL != f->path; f++)
    if (0 == strcmp (f->path, path))
      return f;
  return NULL;
}
