/*
 * `fairreg demo`: loads a demo registry into an empty database, so that `make
 * run` shows a living register: the sample lists of importers/samples/
 * (compiled into the binary; written by tests/data/gen/licence-lists.js, all
 * invented) for nine authorities of origin and destination, imported through
 * the real importer, an older list of each first and then a newer one that
 * changes statuses and, for complete lists, drops a few licences (so the
 * history has real changes and delistings); then a few sanctions, public and
 * not.  A registry that already has agencies is left alone (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "commands.h"
#include "db/db.h"
#include "embedded.h"
#include "load.h"
#include "profile.h"
#include "report.h"

struct sample
{
  const char *path;
  const char *authority;
  const char *profile; /* NULL: canonical */
};

/* In import order: every older list, then every newer one. */
static const struct sample samples[] = {
  { "importers/samples/ph-dmw-1-2026-05.xml", "PH-DMW", NULL },
  { "importers/samples/id-bp2mi-1-2026-05.xml", "ID-BP2MI", NULL },
  { "importers/samples/vn-molisa-1-2026-05.xml", "VN-MOLISA", NULL },
  { "importers/samples/mm-mol-1-2026-05.xml", "MM-MOL", NULL },
  { "importers/samples/kh-mlvt-1-2026-05.xml", "KH-MLVT", NULL },
  { "importers/samples/la-mlsw-1-2026-05.xml", "LA-MLSW", NULL },
  { "importers/samples/th-doe-1-2026-05.xml", "TH-DOE", "th-doe-flat" },
  { "importers/samples/my-jtksm-1-2026-05.xml", "MY-JTKSM", NULL },
  { "importers/samples/sg-mom-1-2026-05.xml", "SG-MOM", NULL },
  { "importers/samples/ph-dmw-2-2026-11.xml", "PH-DMW", NULL },
  { "importers/samples/id-bp2mi-2-2026-11.xml", "ID-BP2MI", NULL },
  { "importers/samples/vn-molisa-2-2026-11.xml", "VN-MOLISA", NULL },
  { "importers/samples/mm-mol-2-2026-11.xml", "MM-MOL", NULL },
  { "importers/samples/kh-mlvt-2-2026-11.xml", "KH-MLVT", NULL },
  { "importers/samples/la-mlsw-2-2026-11.xml", "LA-MLSW", NULL },
  { "importers/samples/th-doe-2-2026-11.xml", "TH-DOE", "th-doe-flat" },
  { "importers/samples/my-jtksm-2-2026-11.xml", "MY-JTKSM", NULL },
  { "importers/samples/sg-mom-2-2026-11.xml", "SG-MOM", NULL },
};

/* A few sanctions on the imported agencies, as the sanctions API would
   record them: each picks its agency (or licence) by authority and rank, so
   the demo is the same on every run. */
static const char demo_sanctions[]
    = "WITH pick AS ("
      "  SELECT authority_code, id,"
      "   row_number() OVER (PARTITION BY authority_code ORDER BY id) AS n"
      "  FROM agency),"
      " lic AS ("
      "  SELECT authority_code, id,"
      "   row_number() OVER (PARTITION BY authority_code ORDER BY id) AS n"
      "  FROM licence WHERE listed_status = 'active')"
      " INSERT INTO sanction (kind, agency_id, licence_id, points, amount,"
      "  currency, decided_on, effective_from, effective_until, lifted_on,"
      "  lift_reason, reason, authority_code, is_public)"
      " SELECT s.kind, s.agency_id, s.licence_id, s.points, s.amount,"
      "  s.currency, current_date + s.decided,"
      "  CASE WHEN s.kind IN ('suspension', 'revocation', 'ban')"
      "   THEN current_date + s.decided END,"
      "  current_date + s.until_days, current_date + s.lifted, s.lift_reason,"
      "  s.reason, s.authority, s.is_public"
      " FROM (VALUES"
      "  ('suspension', (SELECT id FROM pick WHERE authority_code = 'PH-DMW'"
      "    AND n = 3), NULL::bigint, NULL::int, NULL::numeric, NULL::text,"
      "   -20, 70, NULL::int, NULL::text,"
      "   'Suspended for 90 days: placement fees charged to domestic workers',"
      "   'PH-DMW', true),"
      "  ('ban', (SELECT id FROM pick WHERE authority_code = 'ID-BP2MI'"
      "    AND n = 4), NULL, NULL, NULL, NULL, -60, NULL, NULL, NULL,"
      "   'Banned: workers'' passports retained and contracts substituted',"
      "   'ID-BP2MI', true),"
      "  ('warning', (SELECT id FROM pick WHERE authority_code = 'MM-MOL'"
      "    AND n = 5), NULL, NULL, NULL, NULL, -15, NULL, NULL, NULL,"
      "   'Written warning: job advertisements without the licence number',"
      "   'MM-MOL', false),"
      "  ('fine', (SELECT id FROM pick WHERE authority_code = 'VN-MOLISA'"
      "    AND n = 2), NULL, NULL, 75000000, 'VND', -40, NULL, NULL, NULL,"
      "   'Fined: service fee above the legal ceiling', 'VN-MOLISA', true),"
      "  ('demerit_points', (SELECT id FROM pick WHERE authority_code ="
      "    'KH-MLVT' AND n = 6), NULL, 10, NULL, NULL, -5, NULL, NULL, NULL,"
      "   'Demerit points: pre-departure training records missing',"
      "   'KH-MLVT', false),"
      "  ('suspension', NULL, (SELECT id FROM lic WHERE authority_code ="
      "    'SG-MOM' AND n = 2), NULL, NULL, NULL, -10, 20, NULL, NULL,"
      "   'Licence suspended: unregistered personnel placing workers',"
      "   'SG-MOM', true),"
      "  ('suspension', (SELECT id FROM pick WHERE authority_code ="
      "    'MY-JTKSM' AND n = 3), NULL, NULL, NULL, NULL, -100, -10, -40,"
      "   'Lifted on appeal: the complaint was withdrawn',"
      "   'Suspended after a complaint of unpaid wages', 'MY-JTKSM', true),"
      "  ('revocation', NULL, (SELECT id FROM lic WHERE authority_code ="
      "    'VN-MOLISA' AND n = 5), NULL, NULL, NULL, -30, NULL, NULL, NULL,"
      "   'Licence revoked: trafficking indicators found on inspection',"
      "   'VN-MOLISA', true))"
      " AS s (kind, agency_id, licence_id, points, amount, currency, decided,"
      "  until_days, lifted, lift_reason, reason, authority, is_public)"
      " WHERE s.agency_id IS NOT NULL OR s.licence_id IS NOT NULL";

static int
add_sanctions (struct db_conn *conn, void *cls)
{
  (void) cls;
  return db_exec (conn, demo_sanctions);
}

/* The embedded sample at PATH in a memory file, positioned at its start, or
   -1. */
static int
sample_fd (const char *path)
{
  const struct embedded_file *f = embedded_find (path);
  if (NULL == f)
    return -1;
  int fd = memfd_create ("fairreg-sample", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t done = 0;
  while (done < f->size)
  {
    ssize_t n = write (fd, f->data + done, f->size - done);
    if (n <= 0)
    {
      close (fd);
      return -1;
    }
    done += (size_t) n;
  }
  if (0 != lseek (fd, 0, SEEK_SET))
  {
    close (fd);
    return -1;
  }
  return fd;
}

int
cmd_demo (int argc, char **argv)
{
  (void) argv;
  if (argc > 1)
  {
    fprintf (stderr, "usage: fairreg demo\n\nLoads the demo registry into an "
                     "empty database.\n");
    return EXIT_USAGE;
  }
  struct db_conn *conn = db_connect_command (DB_KIND_APP);
  if (NULL == conn)
    return EXIT_FAILED;
  int status = EXIT_FAILED;
  /* Two demos at once would both find the registry empty. */
  PGresult *res = PQexec (db_pg (conn),
                          "SELECT pg_advisory_lock(hashtext('fairreg.demo')),"
                          " (SELECT count(*) FROM agency)");
  if (PGRES_TUPLES_OK != PQresultStatus (res))
  {
    fprintf (stderr,
             "fairreg demo: cannot read the registry: %s"
             "Is the schema migrated (fairreg migrate)?\n",
             PQerrorMessage (db_pg (conn)));
    PQclear (res);
    goto done;
  }
  long long agencies = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
  PQclear (res);
  if (agencies > 0)
  {
    fprintf (stderr,
             "fairreg demo: the registry already has %lld agenc%s; the demo "
             "loads only\ninto an empty registry, and nothing was changed.\n",
             agencies, (1 == agencies) ? "y" : "ies");
    goto done;
  }

  struct db_audit_context audit = { NULL, "demo", NULL, NULL };
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
  {
    const struct sample *s = &samples[i];
    struct imp_profile *profile = NULL;
    if (NULL != s->profile)
    {
      char *error = NULL;
      profile = imp_profile_load (s->profile, &error);
      if (NULL == profile)
      {
        fprintf (stderr, "fairreg demo: profile %s: %s\n", s->profile,
                 (NULL != error) ? error : "cannot be loaded");
        free (error);
        goto done;
      }
    }
    int fd = sample_fd (s->path);
    if (fd < 0)
    {
      fprintf (stderr, "fairreg demo: the sample %s is not in this binary\n",
               s->path);
      imp_profile_free (profile);
      goto done;
    }
    struct imp_load_options opt = {
      .authority = s->authority,
      .file_name = strrchr (s->path, '/') + 1,
      .profile_name = s->profile,
      .profile = profile,
      .audit = &audit,
    };
    json_t *report = NULL;
    enum imp_outcome outcome = imp_load (conn, fd, &opt, &report);
    close (fd);
    imp_profile_free (profile);
    imp_report_print (stdout, report);
    json_decref (report);
    if (IMP_IMPORTED != outcome)
    {
      fprintf (stderr, "fairreg demo: the sample %s did not import\n", s->path);
      goto done;
    }
  }
  if (db_transaction (conn, &audit, add_sanctions, NULL) < 0)
  {
    fprintf (stderr, "fairreg demo: recording the demo sanctions failed\n");
    goto done;
  }
  printf ("the demo registry is loaded: %zu lists of 9 authorities, and a "
          "few sanctions\n",
          sizeof samples / sizeof samples[0]);
  status = EXIT_OK;
done:
  db_conn_free (conn);
  return status;
}
