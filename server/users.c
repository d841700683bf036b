/*
 * Validation of staff account fields (see users.h).
 */
#include <string.h>

#include "request.h"
#include "users.h"
#include "utf8.h"

static bool
text_ok (const char *s, size_t max)
{
  size_t len = strlen (s);
  return len > 0 && len <= max && utf8_valid (s, len);
}

/* Organisation codes are authority codes ("PH-DMW") or missions
   ("MM-EMB-BKK"): capital letters, digits and hyphens. */
static bool
org_ok (const char *org)
{
  size_t len = strlen (org);
  if (len < 2 || len > 32)
    return false;
  for (const char *p = org; '\0' != *p; p++)
    if (!(('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || '-' == *p))
      return false;
  return true;
}

static bool
email_ok (const char *email)
{
  const char *at = strchr (email, '@');
  return text_ok (email, 254) && NULL != at && at != email
         && NULL == strchr (at + 1, '@') && NULL != strchr (at + 1, '.')
         && NULL == strpbrk (email, " \t\r\n<>\"");
}

const char *
users_fields_problem (const struct db_user_fields *f, bool creating)
{
  if (creating || NULL != f->email)
    if (NULL == f->email || !email_ok (f->email))
      return "email must be an e-mail address of at most 254 bytes";
  if (creating || NULL != f->name)
    if (NULL == f->name || !text_ok (f->name, 200))
      return "name must be 1 to 200 bytes of UTF-8 text";
  if (creating || NULL != f->role)
    if (ROLE_NONE == role_parse (f->role))
      return "role must be one of admin, inspector, attache, analyst";
  if (NULL != f->org && !org_ok (f->org))
    return "org must be an authority code or mission such as PH-DMW or "
           "MM-EMB-BKK (capitals, digits, hyphens)";
  if (creating && NULL == f->org
      && (ROLE_INSPECTOR == role_parse (f->role)
          || ROLE_ATTACHE == role_parse (f->role)))
    return "org is required for inspectors (their authority) and attachés "
           "(their mission)";
  return NULL;
}
