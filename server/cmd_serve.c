/*
 * `fairreg serve`: runs the HTTP server until SIGTERM or SIGINT.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "http.h"

int
cmd_serve (int argc, char **argv)
{
  if (argc > 1
      && (0 == strcmp (argv[1], "--help") || 0 == strcmp (argv[1], "-h")))
  {
    printf ("usage: fairreg serve\n\nServes the registry over HTTP on "
            "FAIRREG_LISTEN (default 127.0.0.1:8080)\nuntil SIGTERM or SIGINT,"
            " then finishes the requests in flight and exits 0.\n");
    return EXIT_OK;
  }
  if (argc > 1)
  {
    fprintf (stderr,
             "fairreg serve: takes no arguments (\"%s\"); configure it "
             "with the environment, see fairreg --help\n",
             argv[1]);
    return EXIT_USAGE;
  }
  return http_serve ();
}
