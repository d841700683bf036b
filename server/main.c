/*
 * fairreg: the registry's one binary.  git-style subcommands; the table below
 * is the whole command line.  Configuration comes from the environment (see
 * config.h); exit codes are 0 success, 1 failure, 2 bad usage.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"

struct command
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *usage;
};

static const struct command commands[] = {
  { "serve", cmd_serve, "serve                run the HTTP server" },
  { "migrate", cmd_migrate,
    "migrate              apply schema migrations (idempotent)" },
  { "user", cmd_user,
    "user add --email E --role R [--org O] [--name N]\n"
    "                     add a staff account (password on stdin)" },
  { "authority", cmd_authority,
    "authority add CODE --country CC --name NAME [--kind K]\n"
    "                     add a licensing authority" },
  { "import", cmd_import,
    "import --authority CODE [--profile NAME] [--dry-run] [--skip-invalid]\n"
    "       [--json] FILE...\n"
    "                     import licence lists (XML), each file one run" },
  { "demo", cmd_demo,
    "demo                 load the demo registry into an empty database" },
};

static void
usage (FILE *out)
{
  fprintf (out, "usage: fairreg COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "  %s\n", commands[i].usage);
  fprintf (out,
           "\nconfiguration (environment): DATABASE_URL or PGHOST, PGDATABASE,"
           " PGUSER...;\n  FAIRREG_LISTEN (127.0.0.1:8080), "
           "FAIRREG_READ_DATABASE_URL, FAIRREG_THREADS,\n  FAIRREG_PUBLIC_URL."
           " See README.md.\n");
}

int
main (int argc, char **argv)
{
  if (argc < 2)
  {
    usage (stderr);
    return EXIT_USAGE;
  }
  if (0 == strcmp (argv[1], "--help") || 0 == strcmp (argv[1], "help")
      || 0 == strcmp (argv[1], "-h"))
  {
    usage (stdout);
    return EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (0 == strcmp (argv[1], commands[i].name))
    {
      /* jansson's hash seed must be set before any thread makes objects. */
      json_object_seed (0);
      if (0 != config_load ())
        return EXIT_USAGE;
      return commands[i].run (argc - 1, argv + 1);
    }
  fprintf (stderr, "fairreg: unknown command \"%s\"\n\n", argv[1]);
  usage (stderr);
  return EXIT_USAGE;
}
