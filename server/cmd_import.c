/*
 * `fairreg import`: imports ministries' licence lists from files, one run per
 * file, through the same loader as the HTTP upload (importers/load.c).
 *
 *   fairreg import --authority CODE [--profile NAME] [--dry-run]
 *                  [--skip-invalid] [--json] FILE...
 *
 * Exit status: 0 when every file was imported (or its dry run done), 1 when
 * a file was refused or an import failed, 2 on bad usage: a wrong option, an
 * unknown authority or a profile with a mistake.  A summary per file goes to
 * standard output (--json: the report, one object per file, or an array of
 * them for several files); on a terminal, standard error shows progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "db/db.h"
#include "load.h"
#include "profile.h"
#include "report.h"

static void
import_usage (FILE *out)
{
  fprintf (out,
           "usage: fairreg import --authority CODE [--profile NAME] "
           "[--dry-run]\n"
           "                      [--skip-invalid] [--json] FILE...\n"
           "\n"
           "Imports licence lists (canonical XML, or a ministry's own format "
           "read\nthrough a profile of importers/profiles/ or a profile file) "
           "for the\nauthority CODE (PH-DMW...), each FILE in its own run; - "
           "reads standard input.\n"
           "\n"
           "  --dry-run       do everything, report what would change, change "
           "nothing\n"
           "  --skip-invalid  import the valid records, list the others, never"
           " delist\n"
           "                  (without it a single invalid record refuses the "
           "file)\n"
           "  --json          print the report as JSON\n"
           "\n"
           "Exit status: 0 imported, 1 refused or failed, 2 bad usage "
           "(unknown\nauthority or option, profile with a mistake).\n");
}

/* ---- progress on a terminal ------------------------------------------- */

struct progress
{
  const char *name;
  unsigned long long total; /* file size, 0 when unknown (a pipe) */
  double started;
  double last_drawn;
  bool drawn;
};

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Redraws the progress line at most ten times a second. */
static void
progress_show (void *cls, unsigned long long bytes, unsigned long long records)
{
  struct progress *p = cls;
  double now = now_seconds ();
  bool whole = p->total > 0 && bytes >= p->total;
  if (p->drawn && now - p->last_drawn < 0.1 && !whole)
    return;
  p->last_drawn = now;
  p->drawn = true;
  double elapsed = now - p->started;
  if (elapsed < 0.001)
    elapsed = 0.001;
  char bar[32] = "";
  if (p->total > 0)
  {
    unsigned filled = (unsigned) (20.0 * (double) bytes / (double) p->total);
    if (filled > 20)
      filled = 20;
    for (unsigned i = 0; i < 20; i++)
      bar[i] = (i < filled) ? '#' : '.';
    bar[20] = '\0';
    if (whole)
      fprintf (stderr, "\r%.30s [%s] 100%%  read; merging into the register ",
               p->name, bar);
    else
      fprintf (stderr, "\r%.30s [%s] %3.0f%%  %6.1f MB/s  %8.0f records/s ",
               p->name, bar, 100.0 * (double) bytes / (double) p->total,
               (double) bytes / elapsed / 1e6, (double) records / elapsed);
  }
  else
    fprintf (stderr, "\r%.30s %8.1f MB  %6.1f MB/s  %8.0f records/s ", p->name,
             (double) bytes / 1e6, (double) bytes / elapsed / 1e6,
             (double) records / elapsed);
  fflush (stderr);
}

static void
progress_clear (struct progress *p)
{
  if (p->drawn)
    fprintf (stderr, "\r%80s\r", "");
}

/* ---- the command ------------------------------------------------------ */

static bool
authority_code_ok (const char *code)
{
  size_t len = strlen (code);
  if (len < 4 || len > 34 || '-' != code[2])
    return false;
  for (const char *p = code; '\0' != *p; p++)
    if (!(('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || '-' == *p))
      return false;
  return true;
}

/* The base name of PATH, as import_run records it. */
static const char *
base_name (const char *path)
{
  const char *slash = strrchr (path, '/');
  return (NULL != slash && '\0' != slash[1]) ? slash + 1 : path;
}

int
cmd_import (int argc, char **argv)
{
  static const struct option options[] = {
    { "authority", required_argument, NULL, 'a' },
    { "profile", required_argument, NULL, 'p' },
    { "dry-run", no_argument, NULL, 'd' },
    { "skip-invalid", no_argument, NULL, 's' },
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *authority = NULL, *profile_name = NULL;
  bool dry_run = false, skip_invalid = false, as_json = false;
  int opt;
  optind = 1;
  while (-1 != (opt = getopt_long (argc, argv, "", options, NULL)))
    switch (opt)
    {
    case 'a':
      authority = optarg;
      break;
    case 'p':
      profile_name = optarg;
      break;
    case 'd':
      dry_run = true;
      break;
    case 's':
      skip_invalid = true;
      break;
    case 'j':
      as_json = true;
      break;
    case 'h':
      import_usage (stdout);
      return EXIT_OK;
    default:
      import_usage (stderr);
      return EXIT_USAGE;
    }
  if (NULL == authority || optind >= argc)
  {
    fprintf (stderr, "fairreg import: --authority and at least one FILE are "
                     "required\n\n");
    import_usage (stderr);
    return EXIT_USAGE;
  }
  if (!authority_code_ok (authority))
  {
    fprintf (stderr,
             "fairreg import: --authority must be an authority code such as "
             "PH-DMW\n");
    return EXIT_USAGE;
  }

  struct imp_profile *profile = NULL;
  if (NULL != profile_name)
  {
    char *error = NULL;
    profile = imp_profile_load (profile_name, &error);
    if (NULL == profile)
    {
      fprintf (stderr, "fairreg import: profile %s:\n%s\n", profile_name,
               (NULL != error) ? error : "cannot be read");
      free (error);
      return EXIT_USAGE;
    }
  }

  struct db_conn *conn = db_connect_command (DB_KIND_APP);
  if (NULL == conn)
  {
    imp_profile_free (profile);
    return EXIT_FAILED;
  }

  int status = EXIT_OK;
  int files = argc - optind;
  json_t *reports = json_array ();
  bool terminal = isatty (STDERR_FILENO);
  struct db_audit_context audit = { NULL, "import", NULL, NULL };
  for (int i = optind; i < argc; i++)
  {
    const char *path = argv[i];
    bool from_stdin = 0 == strcmp (path, "-");
    int fd = from_stdin ? STDIN_FILENO : open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
    {
      fprintf (stderr, "fairreg import: cannot open %s: %s\n", path,
               strerror (errno));
      status = EXIT_FAILED;
      continue;
    }
    struct stat st;
    struct progress progress
        = { base_name (path), 0, now_seconds (), 0.0, false };
    if (0 == fstat (fd, &st) && S_ISREG (st.st_mode))
      progress.total = (unsigned long long) st.st_size;
    struct imp_load_options load = {
      .authority = authority,
      .file_name = from_stdin ? "stdin" : base_name (path),
      .profile_name = profile_name,
      .profile = profile,
      .dry_run = dry_run,
      .skip_invalid = skip_invalid,
      .audit = &audit,
      .progress = terminal ? progress_show : NULL,
      .progress_cls = &progress,
    };
    json_t *report = NULL;
    enum imp_outcome outcome = imp_load (conn, fd, &load, &report);
    if (!from_stdin)
      close (fd);
    progress_clear (&progress);
    if (IMP_BAD_AUTHORITY == outcome || IMP_NO_DATABASE == outcome)
    {
      fprintf (stderr, "fairreg import: %s\n",
               json_string_value (json_object_get (report, "error")));
      json_decref (report);
      status = (IMP_BAD_AUTHORITY == outcome) ? EXIT_USAGE : EXIT_FAILED;
      break;
    }
    if (IMP_IMPORTED != outcome && IMP_DRY_RUN != outcome)
      status = EXIT_FAILED;
    if (as_json)
      json_array_append_new (reports, report);
    else
    {
      imp_report_print (stdout, report);
      fflush (stdout);
      json_decref (report);
    }
  }
  if (as_json && json_array_size (reports) > 0)
  {
    json_t *out = (1 == files) ? json_array_get (reports, 0) : reports;
    json_dumpf (out, stdout, JSON_INDENT (2));
    fputc ('\n', stdout);
  }
  json_decref (reports);
  db_conn_free (conn);
  imp_profile_free (profile);
  return status;
}
