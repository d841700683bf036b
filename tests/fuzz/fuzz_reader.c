/*
 * libFuzzer target over the importer's reader: each input is read as a file
 * in the canonical format (with its XML Schema), with the flat Thai profile
 * and with the nested Vietnamese one (XPath with predicates), through a pipe
 * of bytes exactly as the import reads a real file.  The sink touches every
 * string it is given, so that a dangling or unterminated one shows under
 * AddressSanitizer.  Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "profile.h"
#include "reader.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static struct imp_profile *profiles[3]; /* [0] NULL: canonical */
static size_t sink_bytes;               /* keeps the touching alive */

static void
touch (const char *s)
{
  if (NULL != s)
    sink_bytes += strlen (s);
}

static int
on_list (void *cls, const struct imp_list *l)
{
  (void) cls;
  touch (l->authority);
  touch (l->generated);
  touch (l->generated_on);
  return 0;
}

static int
on_agency (void *cls, const struct imp_agency *a)
{
  (void) cls;
  touch (a->ref);
  touch (a->name);
  touch (a->country);
  touch (a->registration_number);
  touch (a->address);
  touch (a->phone);
  touch (a->email);
  touch (a->website);
  for (size_t i = 0; i < a->other_name_count; i++)
  {
    touch (a->other_names[i].text);
    touch (a->other_names[i].lang);
    touch (a->other_names[i].kind);
  }
  for (size_t i = 0; i < a->officer_count; i++)
  {
    touch (a->officers[i].name);
    touch (a->officers[i].role);
  }
  for (size_t i = 0; i < a->personnel_count; i++)
  {
    touch (a->personnel[i].name);
    touch (a->personnel[i].registration);
  }
  for (size_t i = 0; i < a->branch_count; i++)
  {
    touch (a->branches[i].address);
    touch (a->branches[i].city);
    touch (a->branches[i].country);
  }
  for (size_t i = 0; i < a->licence_count; i++)
  {
    const struct imp_licence *l = &a->licences[i];
    touch (l->number);
    touch (l->category);
    if (NULL == l->status || NULL == l->number)
      abort (); /* the reader promises both */
    touch (l->status);
    touch (l->valid_from);
    touch (l->valid_until);
    touch (l->status_date);
    touch (l->status_reason);
  }
  return 0;
}

static int
on_reject (void *cls, const struct imp_reject *r)
{
  (void) cls;
  if (strlen (r->reason) > 200)
    abort (); /* record.h promises at most 200 bytes */
  return 0;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  static const char *const names[] = { "th-doe-flat", "vn-molisa-nested" };
  for (size_t i = 0; i < 2; i++)
  {
    char *error = NULL;
    profiles[i + 1] = imp_profile_load (names[i], &error);
    if (NULL == profiles[i + 1])
    {
      fprintf (stderr, "fuzz_reader: profile %s: %s\n", names[i], error);
      exit (1);
    }
  }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  for (size_t p = 0; p < 3; p++)
  {
    int fd = memfd_create ("fuzz-input", MFD_CLOEXEC);
    if (fd < 0)
      abort ();
    size_t done = 0;
    while (done < size)
    {
      ssize_t n = write (fd, data + done, size - done);
      if (n <= 0)
        abort ();
      done += (size_t) n;
    }
    if (0 != lseek (fd, 0, SEEK_SET))
      abort ();
    struct imp_sink sink = { NULL, on_list, on_agency, on_reject, NULL };
    struct imp_read_info info;
    char *error = NULL;
    enum imp_read_result r
        = imp_read (fd, "fuzz", profiles[p], &sink, &info, &error);
    close (fd);
    if ((IMP_READ_REFUSED == r) != (NULL != error) || info.bytes != size)
      abort ();
    free (error);
  }
  return 0;
}
