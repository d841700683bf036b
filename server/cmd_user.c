/*
 * `fairreg user add`: creates a staff account from the command line (the
 * first administrator is made this way).  The password is read from standard
 * input, never from an argument (which other users could see in ps), and is
 * not echoed when typed at a terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth.h"
#include "commands.h"
#include "db/users.h"
#include "users.h"

static void
user_usage (FILE *out)
{
  fprintf (out,
           "usage: fairreg user add --email E --role R [--org O] [--name N]\n"
           "\n"
           "Adds a staff account.  R is admin, inspector, attache or analyst;\n"
           "O is the authority code of an inspector (PH-DMW) or the mission of"
           " an\nattache (MM-EMB-BKK).  The password (12 to 256 bytes) is read "
           "from\nstandard input.\n");
}

/* Reads one line from stdin into BUF without its newline; with a terminal,
   shows PROMPT and hides what is typed.  Returns 0, or -1 at end of input. */
static int
read_secret (const char *prompt, char *buf, size_t size)
{
  bool tty = isatty (STDIN_FILENO);
  struct termios saved, quiet;
  if (tty)
  {
    fputs (prompt, stderr);
    tcgetattr (STDIN_FILENO, &saved);
    quiet = saved;
    quiet.c_lflag &= (tcflag_t) ~ECHO;
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  char *got = fgets (buf, (int) size, stdin);
  if (tty)
  {
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
    fputc ('\n', stderr);
  }
  if (NULL == got)
    return -1;
  buf[strcspn (buf, "\r\n")] = '\0';
  return 0;
}

static int
user_add (int argc, char **argv)
{
  static const struct option options[] = {
    { "email", required_argument, NULL, 'e' },
    { "role", required_argument, NULL, 'r' },
    { "org", required_argument, NULL, 'o' },
    { "name", required_argument, NULL, 'n' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct db_user_fields f = { .disabled = -1 };
  int opt;
  optind = 1;
  while (-1 != (opt = getopt_long (argc, argv, "", options, NULL)))
    switch (opt)
    {
    case 'e':
      f.email = optarg;
      break;
    case 'r':
      f.role = optarg;
      break;
    case 'o':
      f.org = optarg;
      break;
    case 'n':
      f.name = optarg;
      break;
    case 'h':
      user_usage (stdout);
      return EXIT_OK;
    default:
      user_usage (stderr);
      return EXIT_USAGE;
    }
  if (optind < argc)
  {
    fprintf (stderr, "fairreg user add: unexpected argument \"%s\"\n",
             argv[optind]);
    return EXIT_USAGE;
  }
  if (NULL == f.email || NULL == f.role)
  {
    fprintf (stderr, "fairreg user add: --email and --role are required\n\n");
    user_usage (stderr);
    return EXIT_USAGE;
  }
  if (NULL == f.name)
    f.name = f.email;
  const char *problem = users_fields_problem (&f, true);
  if (NULL != problem)
  {
    fprintf (stderr, "fairreg user add: %s\n", problem);
    return EXIT_USAGE;
  }

  char password[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2];
  if (0 != read_secret ("Password: ", password, sizeof password))
  {
    fprintf (stderr, "fairreg user add: no password on standard input\n");
    return EXIT_USAGE;
  }
  if (isatty (STDIN_FILENO))
  {
    if (0 != read_secret ("Again: ", again, sizeof again)
        || 0 != strcmp (password, again))
    {
      fprintf (stderr, "fairreg user add: the passwords differ\n");
      return EXIT_USAGE;
    }
  }
  problem = auth_password_problem (password);
  char hash[crypto_pwhash_STRBYTES];
  if (NULL == problem && (0 != sodium_init () && sodium_init () < 0))
    problem = "libsodium failed to start";
  if (NULL == problem && 0 != auth_hash_password (password, hash))
    problem = "out of memory while hashing the password";
  sodium_memzero (password, sizeof password);
  sodium_memzero (again, sizeof again);
  if (NULL != problem)
  {
    fprintf (stderr, "fairreg user add: %s\n", problem);
    return EXIT_USAGE;
  }
  f.password_hash = hash;

  struct db_conn *conn = db_connect_command (DB_KIND_APP);
  if (NULL == conn)
    return EXIT_FAILED;
  struct db_audit_context audit = { NULL, "cli:user-add", NULL, NULL };
  json_t *user = NULL;
  enum db_write result = db_user_create (conn, &audit, &f, &user);
  db_conn_free (conn);
  switch (result)
  {
  case DB_WRITE_OK:
    printf ("added %s user %s (id %lld)\n", f.role, f.email,
            (long long) json_integer_value (json_object_get (user, "id")));
    json_decref (user);
    return EXIT_OK;
  case DB_WRITE_DUPLICATE:
    fprintf (stderr, "fairreg user add: an account with e-mail %s exists\n",
             f.email);
    return EXIT_FAILED;
  default:
    fprintf (stderr, "fairreg user add: the database refused the account; "
                     "is the schema migrated (fairreg migrate)?\n");
    return EXIT_FAILED;
  }
}

int
cmd_user (int argc, char **argv)
{
  if (argc >= 2 && 0 == strcmp (argv[1], "add"))
    return user_add (argc - 1, argv + 1);
  if (argc >= 2
      && (0 == strcmp (argv[1], "--help") || 0 == strcmp (argv[1], "-h")))
  {
    user_usage (stdout);
    return EXIT_OK;
  }
  user_usage (stderr);
  return EXIT_USAGE;
}
