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

/* h_authorities.c: licensing authorities */
int h_authorities_list (struct request *req);

#endif
