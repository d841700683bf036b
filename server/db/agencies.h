/*
 * Agencies as the public sees them (views pub_agency, pub_agency_name,
 * pub_branch, pub_officer, pub_personnel, pub_agency_activity): the name
 * search with its keyset pages, and the whole agency.  The JSON is built in
 * SQL; see licences.h and sanctions.h for the objects an agency carries.
 */
#ifndef FAIRREG_DB_AGENCIES_H
#define FAIRREG_DB_AGENCIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

/* The similarity an agency's name must reach to match a query, on pg_trgm's
   scale: word_similarity (the query against the closest run of the name) or
   similarity (the whole name).  Low enough that one wrong letter in a short
   word still matches; ranking puts the close matches first. */
#define DB_AGENCY_MATCH_THRESHOLD "0.3"

/* The agency summary, as a SQL json expression over pub_agency AS a: {id,
   name, country, in_good_standing, licences [{id, number, authority, status,
   valid_until}]}.  The in-process search index (search_index.c) keeps one
   per agency, made with this same expression. */
#define DB_AGENCY_SUMMARY_SQL                                                  \
  "json_build_object('id', a.id, 'name', a.name, 'country', a.country,"        \
  " 'in_good_standing', a.in_good_standing,"                                   \
  " 'licences', coalesce((SELECT json_agg(json_build_object("                  \
  "     'id', l.id, 'number', l.number, 'authority', l.authority_code,"        \
  "     'status', l.status, 'valid_until', l.valid_until) ORDER BY l.id)"      \
  "   FROM pub_licence AS l WHERE l.agency_id = a.id), '[]'))"

struct db_agency_query
{
  const char *q;       /* any name, any script; NULL: every agency by id */
  const char *country; /* ISO 3166-1 alpha-2, or NULL */
  int standing;        /* 1 in good standing, 0 not, -1 either */
  unsigned limit;      /* rows per page */
  /* Keyset: only rows after this one in the page order (score descending
     then id with Q; id without). */
  bool after;
  char after_score[32]; /* a float4 as the database printed it (with Q) */
  int64_t after_id;
};

struct db_agency_page
{
  json_t *items;       /* [agency summary], owned by the caller */
  bool more;           /* rows follow the last one */
  char last_score[32]; /* the last row's key, for the next cursor */
  int64_t last_id;
};

/* One page of agencies matching QUERY, best match first; an agency summary
   is {id, name, country, in_good_standing, licences [{id, number, authority,
   status, valid_until}]}.  Returns 0, or -1 if the database failed (PAGE is
   then empty). */
int db_agencies_search (struct db_conn *conn,
                        const struct db_agency_query *query,
                        struct db_agency_page *page);

/* The agency ID with every public field of DESIGN.md section 5 into *AGENCY
   (new reference). */
enum db_lookup db_agency_get (struct db_conn *conn, int64_t id,
                              json_t **agency);

#endif
