/*
 * Every HTTP handler, one file per resource (h_<resource>.c).  The route table
 * in router.c is the only caller.  A handler reads the request context, does
 * its work, and ends with exactly one reply_* call; it returns that call's 0.
 */
#ifndef FAIRREG_HANDLERS_H
#define FAIRREG_HANDLERS_H

#include "request.h"

/* h_system.c: liveness, readiness, metrics, the API description */
int h_healthz (struct request *req);
int h_readyz (struct request *req);
int h_metrics (struct request *req);
int h_openapi (struct request *req);

/* h_home.c: the home page */
int h_home (struct request *req);

/* h_auth.c: bearer tokens */
int h_tokens_create (struct request *req);
int h_tokens_current (struct request *req);
int h_tokens_revoke (struct request *req);

/* h_users.c: staff accounts (admin) */
int h_users_list (struct request *req);
int h_users_create (struct request *req);
int h_users_get (struct request *req);
int h_users_update (struct request *req);

/* h_imports.c: licence-list uploads and the import runs (admin) */
int h_imports_create (struct request *req);
int h_imports_list (struct request *req);
int h_imports_get (struct request *req);

/* h_authorities.c: licensing authorities */
int h_authorities_list (struct request *req);

/* h_agencies.c: the agency search and the agency page (public) */
int h_agencies_list (struct request *req);
int h_agency_get (struct request *req);

/* h_licences.c: licence lookup by number and by id (public) */
int h_licences_lookup (struct request *req);
int h_licence_get (struct request *req);

/* h_sanctions.c: the public sanctions list */
int h_sanctions_list (struct request *req);

/* h_exports.c: the streamed open-data exports (public) */
int h_export_licences_csv (struct request *req);
int h_export_licences_json (struct request *req);
int h_export_licences_xml (struct request *req);

/* h_changes.c: the change feed, JSON and Atom (public) */
int h_changes_list (struct request *req);
int h_feed_licences (struct request *req);

#endif
