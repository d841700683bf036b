/*
 * Unit tests of the server's pure logic: UTF-8 validation, route matching,
 * rate limiting, token format, role names and configuration parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "ratelimit.h"
#include "request.h"
#include "router.h"
#include "utf8.h"

static void
utf8_accepts_every_script (void **state)
{
  (void) state;
  const char *texts[] = {
    "Example Manpower",
    "Nguyễn Đông Á",
    "บริษัท ตัวอย่าง จัดหางาน จำกัด",
    "မြန်မာ",
    "ភាសាខ្មែរ",
    "ພາສາລາວ",
    "😀",
    "",
  };
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    assert_true (utf8_valid (texts[i], strlen (texts[i])));
}

static void
utf8_refuses_malformed_sequences (void **state)
{
  (void) state;
  const char *bad[] = {
    "\xC3\x28",         /* bad continuation */
    "\xC0\xAF",         /* overlong '/' */
    "\xE0\x80\xAF",     /* overlong, three bytes */
    "\xED\xA0\x80",     /* UTF-16 surrogate */
    "\xF4\x90\x80\x80", /* above U+10FFFF */
    "\xE2\x82",         /* truncated */
    "\xFF",
    "\x80",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_false (utf8_valid (bad[i], strlen (bad[i])));
  assert_false (utf8_valid ("a\0b", 3)); /* NUL inside */
}

static void
router_matches_literal_and_placeholder_paths (void **state)
{
  (void) state;
  struct request req;
  memset (&req, 0, sizeof req);
  const struct route *route = NULL;
  char allow[128];
  assert_int_equal (ROUTER_FOUND, router_match (&req, "GET", "/v1/users/42",
                                                &route, allow, sizeof allow));
  assert_string_equal ("/v1/users/{id}", route->pattern);
  assert_int_equal (1, req.path_param_count);
  assert_string_equal ("42", request_path_param (&req, 0));
  int64_t id = 0;
  assert_true (request_path_id (&req, 0, &id));
  assert_int_equal (42, id);
  free (req.path_params[0]);
}

static void
router_tells_unknown_path_from_wrong_method (void **state)
{
  (void) state;
  struct request req;
  memset (&req, 0, sizeof req);
  const struct route *route = NULL;
  char allow[128];
  assert_int_equal (ROUTER_NO_PATH, router_match (&req, "GET", "/v1/nothing",
                                                  &route, allow, sizeof allow));
  assert_int_equal (ROUTER_NO_PATH, router_match (&req, "GET", "/v1/users/",
                                                  &route, allow, sizeof allow));
  assert_int_equal (
      ROUTER_NO_METHOD,
      router_match (&req, "PUT", "/v1/users", &route, allow, sizeof allow));
  assert_string_equal ("GET, HEAD, POST", allow);
  assert_int_equal (ROUTER_FOUND, router_match (&req, "HEAD", "/healthz",
                                                &route, allow, sizeof allow));
  assert_string_equal ("GET", route->method);
}

static void
router_table_has_no_duplicate_routes (void **state)
{
  (void) state;
  for (size_t i = 0; i < router_route_count; i++)
    for (size_t j = i + 1; j < router_route_count; j++)
      assert_false (
          0 == strcmp (router_routes[i].method, router_routes[j].method)
          && 0 == strcmp (router_routes[i].pattern, router_routes[j].pattern));
}

static void
path_ids_must_be_positive_decimal (void **state)
{
  (void) state;
  const char *bad[]
      = { "abc", "0", "-1", "01", "1x", "", "9999999999999999999" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
  {
    char *param = strdup (bad[i]);
    struct request req = { .path_params = { param }, .path_param_count = 1 };
    int64_t id;
    assert_false (request_path_id (&req, 0, &id));
    free (param);
  }
}

static void
ratelimit_allows_the_burst_then_refuses (void **state)
{
  (void) state;
  struct ratelimit *rl = ratelimit_new (3);
  unsigned retry = 0;
  for (int i = 0; i < 3; i++)
  {
    assert_true (ratelimit_allows (rl, "192.0.2.1", &retry));
    ratelimit_charge (rl, "192.0.2.1");
  }
  assert_false (ratelimit_allows (rl, "192.0.2.1", &retry));
  assert_in_range (retry, 1, 21); /* one token refills in 20 s */
  assert_true (ratelimit_allows (rl, "192.0.2.2", &retry)); /* per address */
  ratelimit_free (rl);
}

static void
ratelimit_zero_disables (void **state)
{
  (void) state;
  struct ratelimit *rl = ratelimit_new (0);
  unsigned retry = 0;
  for (int i = 0; i < 100; i++)
    ratelimit_charge (rl, "192.0.2.1");
  assert_true (ratelimit_allows (rl, "192.0.2.1", &retry));
  ratelimit_free (rl);
}

static void
tokens_are_random_prefixed_and_hash_consistently (void **state)
{
  (void) state;
  assert_true (sodium_init () >= 0);
  char a[AUTH_TOKEN_TEXT_SIZE], b[AUTH_TOKEN_TEXT_SIZE];
  char ha[AUTH_TOKEN_HASH_SIZE], hb[AUTH_TOKEN_HASH_SIZE],
      again[AUTH_TOKEN_HASH_SIZE];
  auth_token_new (a, ha);
  auth_token_new (b, hb);
  assert_int_equal (AUTH_TOKEN_TEXT_SIZE - 1, strlen (a));
  assert_memory_equal ("fr_", a, 3);
  assert_string_not_equal (a, b);
  assert_true (auth_token_hash (a, again));
  assert_string_equal (ha, again);
  assert_memory_equal ("\\x", ha, 2);
  assert_int_equal (AUTH_TOKEN_HASH_SIZE - 1, strlen (ha));
  assert_false (auth_token_hash ("fr_short", again));
  char wrong[AUTH_TOKEN_TEXT_SIZE];
  memcpy (wrong, a, sizeof wrong);
  wrong[10] = '!';
  assert_false (auth_token_hash (wrong, again));
}

static void
passwords_hash_with_argon2id_and_verify (void **state)
{
  (void) state;
  assert_true (sodium_init () >= 0);
  char hash[crypto_pwhash_STRBYTES];
  assert_int_equal (0, auth_hash_password ("correct horse battery", hash));
  assert_memory_equal ("$argon2id$", hash, 10);
  assert_true (auth_password_matches (hash, "correct horse battery"));
  assert_false (auth_password_matches (hash, "correct horse batterY"));
  assert_non_null (auth_password_problem ("short"));
  assert_null (auth_password_problem ("long enough pass"));
}

static void
roles_round_trip_by_name (void **state)
{
  (void) state;
  const enum role roles[]
      = { ROLE_ADMIN, ROLE_INSPECTOR, ROLE_ATTACHE, ROLE_ANALYST };
  for (size_t i = 0; i < 4; i++)
    assert_int_equal (roles[i], role_parse (role_name (roles[i])));
  assert_int_equal (ROLE_NONE, role_parse ("root"));
  assert_int_equal (ROLE_NONE, role_parse (NULL));
}

static void
config_reads_listen_and_refuses_bad_values (void **state)
{
  (void) state;
  setenv ("FAIRREG_LISTEN", "0.0.0.0:9090", 1);
  setenv ("FAIRREG_THREADS", "8", 1);
  assert_int_equal (0, config_load ());
  assert_string_equal ("0.0.0.0", config.listen_host);
  assert_int_equal (9090, config.listen_port);
  assert_int_equal (8, config.threads);
  setenv ("FAIRREG_LISTEN", "[::1]:8081", 1);
  assert_int_equal (0, config_load ());
  assert_string_equal ("::1", config.listen_host);
  const char *bad_listen[] = { "8080", "host:", ":80", "h:99999", "h:8x" };
  for (size_t i = 0; i < 5; i++)
  {
    setenv ("FAIRREG_LISTEN", bad_listen[i], 1);
    assert_int_equal (-1, config_load ());
  }
  setenv ("FAIRREG_LISTEN", "127.0.0.1:8080", 1);
  setenv ("FAIRREG_THREADS", "0", 1);
  assert_int_equal (-1, config_load ());
  setenv ("FAIRREG_THREADS", "many", 1);
  assert_int_equal (-1, config_load ());
  unsetenv ("FAIRREG_THREADS");
  unsetenv ("FAIRREG_LISTEN");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (utf8_accepts_every_script),
    cmocka_unit_test (utf8_refuses_malformed_sequences),
    cmocka_unit_test (router_matches_literal_and_placeholder_paths),
    cmocka_unit_test (router_tells_unknown_path_from_wrong_method),
    cmocka_unit_test (router_table_has_no_duplicate_routes),
    cmocka_unit_test (path_ids_must_be_positive_decimal),
    cmocka_unit_test (ratelimit_allows_the_burst_then_refuses),
    cmocka_unit_test (ratelimit_zero_disables),
    cmocka_unit_test (tokens_are_random_prefixed_and_hash_consistently),
    cmocka_unit_test (passwords_hash_with_argon2id_and_verify),
    cmocka_unit_test (roles_round_trip_by_name),
    cmocka_unit_test (config_reads_listen_and_refuses_bad_values),
  };
  return cmocka_run_group_tests_name ("core", tests, NULL, NULL);
}
