/*
 * `fairreg authority add`: adds a licensing authority beyond the ten the
 * schema seeds (another country's ministry, a new regional body).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "db/authorities.h"
#include "utf8.h"

static void
authority_usage (FILE *out)
{
  fprintf (out,
           "usage: fairreg authority add CODE --country CC --name NAME "
           "[--kind K]\n\n"
           "CODE is like PH-DMW (capitals, digits, hyphens, up to 32); CC is "
           "the ISO 3166-1\nalpha-2 country; K is origin, destination or both "
           "(default both).\n");
}

static bool
code_ok (const char *code)
{
  size_t len = strlen (code);
  if (len < 2 || len > 32)
    return false;
  for (const char *p = code; '\0' != *p; p++)
    if (!(('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || '-' == *p))
      return false;
  return true;
}

static bool
country_ok (const char *cc)
{
  return 2 == strlen (cc) && 'A' <= cc[0] && cc[0] <= 'Z' && 'A' <= cc[1]
         && cc[1] <= 'Z';
}

static int
authority_add (int argc, char **argv)
{
  static const struct option options[] = {
    { "country", required_argument, NULL, 'c' },
    { "name", required_argument, NULL, 'n' },
    { "kind", required_argument, NULL, 'k' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *country = NULL, *name = NULL, *kind = "both";
  int opt;
  optind = 1;
  while (-1 != (opt = getopt_long (argc, argv, "", options, NULL)))
    switch (opt)
    {
    case 'c':
      country = optarg;
      break;
    case 'n':
      name = optarg;
      break;
    case 'k':
      kind = optarg;
      break;
    case 'h':
      authority_usage (stdout);
      return EXIT_OK;
    default:
      authority_usage (stderr);
      return EXIT_USAGE;
    }
  if (optind + 1 != argc || NULL == country || NULL == name)
  {
    fprintf (stderr, "fairreg authority add: CODE, --country and --name are "
                     "required\n\n");
    authority_usage (stderr);
    return EXIT_USAGE;
  }
  const char *code = argv[optind];
  const char *problem
      = !code_ok (code)
            ? "CODE must be capitals, digits and hyphens, 2 to 32 long"
        : !country_ok (country)
            ? "--country must be an ISO 3166-1 alpha-2 code such as PH"
        : (0 == strlen (name) || strlen (name) > 200
           || !utf8_valid (name, strlen (name)))
            ? "--name must be 1 to 200 bytes of UTF-8 text"
        : (0 != strcmp (kind, "origin") && 0 != strcmp (kind, "destination")
           && 0 != strcmp (kind, "both"))
            ? "--kind must be origin, destination or both"
            : NULL;
  if (NULL != problem)
  {
    fprintf (stderr, "fairreg authority add: %s\n", problem);
    return EXIT_USAGE;
  }
  struct db_conn *conn = db_connect_command (DB_KIND_APP);
  if (NULL == conn)
    return EXIT_FAILED;
  struct db_audit_context audit = { NULL, "cli:authority-add", NULL, NULL };
  enum db_write_authority result
      = db_authority_add (conn, &audit, code, country, name, kind);
  db_conn_free (conn);
  switch (result)
  {
  case DB_AUTHORITY_ADDED:
    printf ("added authority %s (%s)\n", code, country);
    return EXIT_OK;
  case DB_AUTHORITY_EXISTS:
    fprintf (stderr, "fairreg authority add: %s exists already\n", code);
    return EXIT_FAILED;
  default:
    fprintf (stderr, "fairreg authority add: the database refused it; is the "
                     "schema migrated (fairreg migrate)?\n");
    return EXIT_FAILED;
  }
}

int
cmd_authority (int argc, char **argv)
{
  if (argc >= 2 && 0 == strcmp (argv[1], "add"))
    return authority_add (argc - 1, argv + 1);
  if (argc >= 2
      && (0 == strcmp (argv[1], "--help") || 0 == strcmp (argv[1], "-h")))
  {
    authority_usage (stdout);
    return EXIT_OK;
  }
  authority_usage (stderr);
  return EXIT_USAGE;
}
