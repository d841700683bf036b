/*
 * The subcommands of the fairreg binary (DESIGN.md section 9), one function
 * each, dispatched by main.c.  Each takes the arguments after its own name
 * and returns the exit code: 0 success, 1 failure, 2 bad usage.
 */
#ifndef FAIRREG_COMMANDS_H
#define FAIRREG_COMMANDS_H

enum exit_code
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
};

int cmd_serve (int argc, char **argv);
int cmd_migrate (int argc, char **argv);
int cmd_user (int argc, char **argv);
int cmd_authority (int argc, char **argv);
int cmd_import (int argc, char **argv);
int cmd_demo (int argc, char **argv);

#endif
