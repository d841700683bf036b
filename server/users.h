/*
 * The rules of a staff account, shared by the HTTP handlers and the
 * `fairreg user` command so both refuse the same things with the same words.
 */
#ifndef FAIRREG_USERS_H
#define FAIRREG_USERS_H

#include <stdbool.h>

#include "db/users.h"

/* What is wrong with FIELDS for a new account (CREATING) or a change, or
   NULL if nothing is.  The message names the field, never its value. */
const char *users_fields_problem (const struct db_user_fields *fields,
                                  bool creating);

#endif
