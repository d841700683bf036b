/*
 * Authentication: argon2id password hashes (libsodium), bearer tokens of 256
 * random bits of which only the SHA-256 is stored, and the per-address limit
 * on failed logins.  The route table decides who may call what; this module
 * only says who the caller is.
 */
#ifndef FAIRREG_AUTH_H
#define FAIRREG_AUTH_H

#include <sodium.h>
#include <stdbool.h>

struct request;
struct ratelimit;

/* "fr_" + 43 characters of unpadded base64url + NUL. */
#define AUTH_TOKEN_TEXT_SIZE 47
/* "\x" + 64 hex digits + NUL: the text form of a bytea parameter. */
#define AUTH_TOKEN_HASH_SIZE 67
/* Passwords are between these lengths, in bytes. */
#define AUTH_PASSWORD_MIN 12
#define AUTH_PASSWORD_MAX 256

enum auth_result
{
  AUTH_OK,
  AUTH_INVALID,
  AUTH_UNAVAILABLE, /* the database could not be asked */
};

/* Initialises libsodium and the login limiter; call once before threads. */
int auth_init (void);

/* Frees the login limiter. */
void auth_release (void);

/* Checks the Authorization header value HEADER ("Bearer fr_...") and, if it
   names a live token of an enabled user, fills req->who. */
enum auth_result auth_authenticate (struct request *req, const char *header);

/* Hashes PASSWORD with argon2id into OUT.  Returns 0, or -1 out of memory. */
int auth_hash_password (const char *password, char out[crypto_pwhash_STRBYTES]);

/* True if PASSWORD matches HASH (an argon2id string). */
bool auth_password_matches (const char *hash, const char *password);

/* Spends as long as a password check, for unknown e-mail addresses, so that
   timing does not tell which addresses have accounts. */
void auth_password_dummy_check (const char *password);

/* Makes a new random token: its text for the client and its hash for the
   database. */
void auth_token_new (char text[AUTH_TOKEN_TEXT_SIZE],
                     char hash[AUTH_TOKEN_HASH_SIZE]);

/* The database hash of token TEXT; false if TEXT is not a well-formed token. */
bool auth_token_hash (const char *text, char hash[AUTH_TOKEN_HASH_SIZE]);

/* The limiter of failed logins per client address. */
struct ratelimit *auth_login_limiter (void);

/* The limiter of complaints filed without a token, per client address. */
struct ratelimit *auth_filing_limiter (void);

/* A password's problem, or NULL if it is acceptable (length and UTF-8). */
const char *auth_password_problem (const char *password);

#endif
