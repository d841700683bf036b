/*
 * Password hashing, token making and token checking (see auth.h).  Tokens are
 * looked up by the hash of what the client sends, so a stolen database copy
 * holds no usable token.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "db/db.h"
#include "db/users.h"
#include "ratelimit.h"
#include "request.h"
#include "utf8.h"

#define TOKEN_PREFIX "fr_"
#define TOKEN_BYTES 32

static struct ratelimit *login_limiter;
static struct ratelimit *filing_limiter;
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_hash_once = PTHREAD_ONCE_INIT;

int
auth_init (void)
{
  if (sodium_init () < 0)
    return -1;
  login_limiter = ratelimit_new (config.login_per_minute);
  filing_limiter = ratelimit_new (config.complaint_per_minute);
  return 0;
}

void
auth_release (void)
{
  ratelimit_free (login_limiter);
  login_limiter = NULL;
  ratelimit_free (filing_limiter);
  filing_limiter = NULL;
}

struct ratelimit *
auth_login_limiter (void)
{
  return login_limiter;
}

struct ratelimit *
auth_filing_limiter (void)
{
  return filing_limiter;
}

int
auth_hash_password (const char *password, char out[crypto_pwhash_STRBYTES])
{
  return crypto_pwhash_str (out, password, strlen (password),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

bool
auth_password_matches (const char *hash, const char *password)
{
  return 0 == crypto_pwhash_str_verify (hash, password, strlen (password));
}

static void
make_dummy_hash (void)
{
  if (0 != auth_hash_password ("fairreg dummy password", dummy_hash))
    dummy_hash[0] = '\0';
}

void
auth_password_dummy_check (const char *password)
{
  pthread_once (&dummy_hash_once, make_dummy_hash);
  if ('\0' != dummy_hash[0])
    (void) auth_password_matches (dummy_hash, password);
}

static void
hash_to_param (const unsigned char digest[crypto_hash_sha256_BYTES],
               char hash[AUTH_TOKEN_HASH_SIZE])
{
  hash[0] = '\\';
  hash[1] = 'x';
  sodium_bin2hex (hash + 2, AUTH_TOKEN_HASH_SIZE - 2, digest,
                  crypto_hash_sha256_BYTES);
}

void
auth_token_new (char text[AUTH_TOKEN_TEXT_SIZE],
                char hash[AUTH_TOKEN_HASH_SIZE])
{
  unsigned char secret[TOKEN_BYTES];
  randombytes_buf (secret, sizeof secret);
  memcpy (text, TOKEN_PREFIX, strlen (TOKEN_PREFIX));
  sodium_bin2base64 (text + strlen (TOKEN_PREFIX),
                     AUTH_TOKEN_TEXT_SIZE - strlen (TOKEN_PREFIX), secret,
                     sizeof secret, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (!auth_token_hash (text, hash))
    abort (); /* a token just made is always well-formed */
  sodium_memzero (secret, sizeof secret);
}

bool
auth_token_hash (const char *text, char hash[AUTH_TOKEN_HASH_SIZE])
{
  size_t len = strlen (text);
  if (len != AUTH_TOKEN_TEXT_SIZE - 1
      || 0 != strncmp (text, TOKEN_PREFIX, strlen (TOKEN_PREFIX)))
    return false;
  for (const char *p = text + strlen (TOKEN_PREFIX); '\0' != *p; p++)
    if (!(('A' <= *p && *p <= 'Z') || ('a' <= *p && *p <= 'z')
          || ('0' <= *p && *p <= '9') || '-' == *p || '_' == *p))
      return false;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256 (digest, (const unsigned char *) text, len);
  hash_to_param (digest, hash);
  return true;
}

enum auth_result
auth_authenticate (struct request *req, const char *header)
{
  const char *scheme = "Bearer ";
  char hash[AUTH_TOKEN_HASH_SIZE];
  if (0 != strncasecmp (header, scheme, strlen (scheme))
      || !auth_token_hash (header + strlen (scheme), hash))
    return AUTH_INVALID;
  /* Tokens live in the application's tables, whatever the route's role. */
  struct db_conn *conn = db_thread_conn (DB_KIND_APP);
  if (NULL == conn)
    return AUTH_UNAVAILABLE;
  switch (db_token_principal (conn, hash, &req->who))
  {
  case DB_FOUND:
    return AUTH_OK;
  case DB_NOT_FOUND:
    return AUTH_INVALID;
  default:
    return AUTH_UNAVAILABLE;
  }
}

const char *
auth_password_problem (const char *password)
{
  size_t len = strlen (password);
  if (len < AUTH_PASSWORD_MIN)
    return "the password must be at least 12 bytes long";
  if (len > AUTH_PASSWORD_MAX)
    return "the password must be at most 256 bytes long";
  if (!utf8_valid (password, len))
    return "the password must be valid UTF-8";
  return NULL;
}
