/*
 * Configuration, from the environment only (DESIGN.md section 9): libpq's own
 * variables or DATABASE_URL, FAIRREG_LISTEN, FAIRREG_READ_DATABASE_URL,
 * FAIRREG_THREADS, FAIRREG_PUBLIC_URL, and the limits below.  Read once at
 * start into one immutable struct that every module may read.
 */
#ifndef FAIRREG_CONFIG_H
#define FAIRREG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config
{
  const char *database_url;      /* "" = libpq's PG* variables */
  const char *read_database_url; /* public reads; "" = database_url */
  char listen_host[256];
  unsigned listen_port;
  unsigned threads;              /* libmicrohttpd thread pool size */
  const char *public_url;        /* for links in feeds, QR codes */
  unsigned token_ttl_seconds;    /* API token lifetime */
  unsigned login_per_minute;     /* failed logins per client address */
  unsigned public_per_minute;    /* public API requests per client address;
                                    0: unlimited (benchmarks) */
  unsigned max_connections;      /* HTTP connections at once */
  unsigned per_ip_connections;   /* from one client address; 0: no limit */
  unsigned connection_timeout;   /* seconds of inactivity */
  unsigned statement_timeout_ms; /* per SQL statement */
  size_t import_max_bytes; /* largest streamed upload (POST /v1/imports) */
  unsigned cache_mb;       /* response cache (cache.c); 0: none */
  /* Complaints */
  unsigned complaint_per_minute;   /* filed without a token, per address */
  unsigned complaint_ack_days;     /* acknowledgement due after filing */
  unsigned complaint_resolve_days; /* resolution due after filing */
  /* The authority of complaints about an agency the registry does not
     know; "" = none, until an admin hands them over. */
  const char *home_authority;
  /* Sanctions */
  unsigned demerit_surveillance; /* demerit points in force that put an
                                    agency under surveillance */
  unsigned demerit_suspension;   /* ... that propose its suspension */
};

/* The process configuration; valid after config_load(). */
extern struct config config;

/* Reads the environment.  Returns 0, or -1 after printing to stderr which
   variable is wrong and how to fix it. */
int config_load (void);

#endif
