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

/* h_licences.c: licence lookup by number and by id (public); the staff's
   direct status change */
int h_licences_lookup (struct request *req);
int h_licence_get (struct request *req);
int h_licence_status_set (struct request *req);

/* h_sanctions.c: the public sanctions list; the staff's sanctions and an
   agency's standing (demerit points) */
int h_sanctions_list (struct request *req);
int h_sanctions_create (struct request *req);
int h_sanction_get (struct request *req);
int h_sanction_lift (struct request *req);
int h_sanctions_staff_list (struct request *req);
int h_agency_standing (struct request *req);

/* h_inspections.c: the checklist, and inspections (plan, findings, close) */
int h_checklist_get (struct request *req);
int h_inspections_create (struct request *req);
int h_inspections_list (struct request *req);
int h_inspection_get (struct request *req);
int h_inspection_update (struct request *req);
int h_inspection_finding_put (struct request *req);
int h_inspection_close (struct request *req);

/* h_exports.c: the streamed open-data exports (public) */
int h_export_licences_csv (struct request *req);
int h_export_licences_json (struct request *req);
int h_export_licences_xml (struct request *req);

/* h_changes.c: the change feed, JSON and Atom (public) */
int h_changes_list (struct request *req);
int h_feed_licences (struct request *req);

/* h_stats.c: complaint statistics (public; unsuppressed for analysts) */
int h_stats_complaints (struct request *req);

/* h_audit.c: the audit log (admin) */
int h_audit_list (struct request *req);

/* h_complaints.c: filing, the worker's status page, the staff's casework */
int h_complaints_create (struct request *req);
int h_complaint_status (struct request *req);
int h_complaints_list (struct request *req);
int h_complaint_get (struct request *req);
int h_complaint_update (struct request *req);
int h_complaint_assign (struct request *req);
int h_complaint_move (struct request *req);
int h_complaint_note (struct request *req);

#endif
