/*
 * The human summary of an import report (see report.h).
 */
#include <stdbool.h>
#include <string.h>

#include "report.h"

static long long
integer (const json_t *object, const char *key)
{
  return (long long) json_integer_value (json_object_get (object, key));
}

static const char *
text (const json_t *object, const char *key)
{
  const char *s = json_string_value (json_object_get (object, key));
  return (NULL != s) ? s : "";
}

static void
print_counts (FILE *out, const json_t *report)
{
  const json_t *c = json_object_get (report, "counts");
  const json_t *a = json_object_get (report, "agencies");
  fprintf (out,
           "  licences: %lld seen, %lld new, %lld updated, %lld unchanged, "
           "%lld delisted; %lld status change%s\n",
           integer (c, "seen"), integer (c, "inserted"), integer (c, "updated"),
           integer (c, "unchanged"), integer (c, "delisted"),
           integer (report, "status_changes"),
           (1 == integer (report, "status_changes")) ? "" : "s");
  fprintf (out,
           "  agencies: %lld seen, %lld new, %lld updated, %lld unchanged\n",
           integer (a, "seen"), integer (a, "inserted"), integer (a, "updated"),
           integer (a, "unchanged"));
}

static void
print_list (FILE *out, const json_t *items, bool truncated, const char *what,
            bool changes)
{
  size_t n = json_array_size (items);
  if (0 == n)
    return;
  fprintf (out, "  %s:\n", what);
  for (size_t i = 0; i < n && i < IMP_SUMMARY_MAX_ITEMS; i++)
  {
    const json_t *item = json_array_get (items, i);
    if (changes)
    {
      const char *from = json_string_value (json_object_get (item, "from"));
      fprintf (out, "    %s: %s -> %s\n", text (item, "number"),
               (NULL != from) ? from : "(new)", text (item, "to"));
    }
    else
      fprintf (out, "    line %lld: %s\n", integer (item, "line"),
               text (item, "reason"));
  }
  if (n > IMP_SUMMARY_MAX_ITEMS || truncated)
    fprintf (out, "    ... and more: --json lists %s\n",
             truncated ? "the first 10000" : "them all");
}

void
imp_report_print (FILE *out, const json_t *report)
{
  const char *outcome = text (report, "outcome");
  const char *file = text (report, "file");
  const char *error = text (report, "error");
  const json_t *run = json_object_get (report, "import_run");
  char run_text[40] = "";
  if (json_is_integer (run))
    snprintf (run_text, sizeof run_text, " (import run %lld)",
              (long long) json_integer_value (run));
  if (0 == strcmp (outcome, "imported"))
  {
    fprintf (out, "%s: imported into %s%s\n", file, text (report, "authority"),
             run_text);
    print_counts (out, report);
    print_list (out, json_object_get (report, "rejects"),
                json_is_true (json_object_get (report, "rejects_truncated")),
                "skipped as invalid", false);
  }
  else if (0 == strcmp (outcome, "dry_run"))
  {
    fprintf (out,
             "%s: dry run for %s%s: nothing was changed; importing it "
             "would do this:\n",
             file, text (report, "authority"), run_text);
    print_counts (out, report);
    print_list (out, json_object_get (report, "rejects"),
                json_is_true (json_object_get (report, "rejects_truncated")),
                "would be skipped as invalid", false);
    print_list (out, json_object_get (report, "changes"),
                json_is_true (json_object_get (report, "changes_truncated")),
                "status changes", true);
  }
  else if (0 == strcmp (outcome, "refused"))
  {
    fprintf (out, "%s: refused, nothing was changed%s: %s\n", file, run_text,
             error);
    print_list (out, json_object_get (report, "rejects"),
                json_is_true (json_object_get (report, "rejects_truncated")),
                "invalid records", false);
  }
  else
    fprintf (out, "%s: import failed, nothing was changed%s: %s\n", file,
             run_text, error);
}
