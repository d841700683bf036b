/*
 * The import report for people: the JSON report of imp_load() (load.h) as a
 * short summary on a terminal, for `fairreg import` and `fairreg demo`.
 * Scripts use `fairreg import --json`, which prints the JSON itself.
 */
#ifndef FAIRREG_IMPORTERS_REPORT_H
#define FAIRREG_IMPORTERS_REPORT_H

#include <jansson.h>
#include <stdio.h>

/* At most this many rejects and status changes are printed; the JSON report
   lists them all (up to IMP_REPORT_MAX_ITEMS). */
#define IMP_SUMMARY_MAX_ITEMS 50

/* Prints REPORT (from imp_load) as a few lines of text on OUT: what happened
   to the file, the counts, and the rejects (or, for a dry run, the status
   changes) with their line numbers. */
void imp_report_print (FILE *out, const json_t *report);

#endif
