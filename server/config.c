/*
 * Reads the environment into `config` once at start.  A wrong value stops the
 * program with a message naming the variable, rather than running with a
 * silently different setting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

struct config config;

static const char *
env_or (const char *name, const char *fallback)
{
  const char *value = getenv (name);
  return (NULL != value && '\0' != *value) ? value : fallback;
}

/* Reads NAME as an unsigned integer in [MIN, MAX], FALLBACK when unset. */
static int
env_unsigned (const char *name, unsigned fallback, unsigned min, unsigned max,
              unsigned *out)
{
  const char *text = env_or (name, NULL);
  if (NULL == text)
  {
    *out = fallback;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long value = strtoul (text, &end, 10);
  if (0 != errno || end == text || '\0' != *end || value < min || value > max)
  {
    fprintf (stderr, "fairreg: %s=\"%s\" is not a whole number from %u to %u\n",
             name, text, min, max);
    return -1;
  }
  *out = (unsigned) value;
  return 0;
}

/* Splits "host:port" (or "[v6]:port") of FAIRREG_LISTEN. */
static int
parse_listen (const char *text)
{
  const char *colon = strrchr (text, ':');
  const char *host = text;
  size_t host_len = (NULL != colon) ? (size_t) (colon - text) : 0;
  if ('[' == text[0] && host_len >= 2 && ']' == text[host_len - 1])
  {
    host++;
    host_len -= 2;
  }
  char *end;
  unsigned long port = (NULL != colon) ? strtoul (colon + 1, &end, 10) : 0;
  if (NULL == colon || 0 == host_len || host_len >= sizeof config.listen_host
      || '\0' == colon[1] || '\0' != *end || port > 65535)
  {
    fprintf (stderr,
             "fairreg: FAIRREG_LISTEN=\"%s\" must be HOST:PORT, "
             "e.g. 127.0.0.1:8080 (port 0 picks a free one)\n",
             text);
    return -1;
  }
  memcpy (config.listen_host, host, host_len);
  config.listen_host[host_len] = '\0';
  config.listen_port = (unsigned) port;
  return 0;
}

/* Reads NAME as a byte count in [MIN, MAX], FALLBACK when unset. */
static int
env_bytes (const char *name, unsigned long long fallback,
           unsigned long long min, unsigned long long max, size_t *out)
{
  const char *text = env_or (name, NULL);
  if (NULL == text)
  {
    *out = (size_t) fallback;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long long value = strtoull (text, &end, 10);
  if (0 != errno || end == text || '\0' != *end || value < min || value > max)
  {
    fprintf (stderr,
             "fairreg: %s=\"%s\" is not a whole number of bytes from %llu to "
             "%llu\n",
             name, text, min, max);
    return -1;
  }
  *out = (size_t) value;
  return 0;
}

int
config_load (void)
{
  long cores = sysconf (_SC_NPROCESSORS_ONLN);
  unsigned default_threads
      = (cores > 0 && cores < 128) ? 2 * (unsigned) cores : 4;

  config.database_url = env_or ("DATABASE_URL", "");
  config.read_database_url
      = env_or ("FAIRREG_READ_DATABASE_URL", config.database_url);
  config.public_url = env_or ("FAIRREG_PUBLIC_URL", "http://127.0.0.1:8080");
  config.home_authority = env_or ("FAIRREG_HOME_AUTHORITY", "");
  if (0 != parse_listen (env_or ("FAIRREG_LISTEN", "127.0.0.1:8080")))
    return -1;
  if (0
          != env_unsigned ("FAIRREG_THREADS", default_threads, 1, 256,
                           &config.threads)
      || 0
             != env_unsigned ("FAIRREG_TOKEN_TTL", 8 * 3600, 60, 30 * 86400,
                              &config.token_ttl_seconds)
      || 0
             != env_unsigned ("FAIRREG_LOGIN_PER_MINUTE", 10, 1, 100000,
                              &config.login_per_minute)
      || 0
             != env_unsigned ("FAIRREG_PUBLIC_PER_MINUTE", 600, 0, 1000000,
                              &config.public_per_minute)
      || 0
             != env_unsigned ("FAIRREG_MAX_CONNECTIONS", 1024, 16, 65536,
                              &config.max_connections)
      || 0
             != env_unsigned ("FAIRREG_CONNECTION_TIMEOUT", 30, 1, 3600,
                              &config.connection_timeout)
      || 0
             != env_unsigned ("FAIRREG_STATEMENT_TIMEOUT_MS", 10000, 10,
                              3600000, &config.statement_timeout_ms)
      || 0
             != env_unsigned ("FAIRREG_PER_IP_CONNECTIONS", 256, 0, 65536,
                              &config.per_ip_connections)
      || 0 != env_unsigned ("FAIRREG_CACHE_MB", 32, 0, 65536, &config.cache_mb)
      || 0
             != env_unsigned ("FAIRREG_COMPLAINT_PER_MINUTE", 10, 0, 100000,
                              &config.complaint_per_minute)
      || 0
             != env_unsigned ("FAIRREG_COMPLAINT_ACK_DAYS", 7, 1, 365,
                              &config.complaint_ack_days)
      || 0
             != env_unsigned ("FAIRREG_COMPLAINT_RESOLVE_DAYS", 60, 1, 3650,
                              &config.complaint_resolve_days)
      || 0
             != env_bytes ("FAIRREG_IMPORT_MAX_BYTES", 1ULL << 30, 1,
                           1ULL << 40, &config.import_max_bytes))
    return -1;
  /* Sanctions: demerit points in force that flag an agency. */
  if (0
          != env_unsigned ("FAIRREG_DEMERIT_SURVEILLANCE", 10, 1, 1000000,
                           &config.demerit_surveillance)
      || 0
             != env_unsigned ("FAIRREG_DEMERIT_SUSPENSION", 20, 1, 1000000,
                              &config.demerit_suspension))
    return -1;
  return 0;
}
