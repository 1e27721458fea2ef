/* cli.h - what every subcommand shares: error lines, PID parsing, help */
#ifndef PMV_CLI_H
#define PMV_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "out/escape.h"
#include "read/segment.h"

#define PMV_VERSION "0.1.0"

/* Exit status, documented in --help. */
enum { PMV_EXIT_OK = 0, PMV_EXIT_CHECK = 1, PMV_EXIT_USAGE = 2 };

/* One line on stderr: "perfmon-view: <message>". */
void pmv_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* pmv_error with "; try 'perfmon-view --help'" on the same line: a usage
   error is one line, as documented. Returns PMV_EXIT_USAGE. Commands use
   pmv_command_error (options.h), which names their own --help. */
int pmv_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a decimal PID in [1, INT32_MAX]: no sign, no spaces, no overflow. */
int pmv_parse_pid(const char *s, uint32_t *pid);

/* "90", "90s", "15m", "2h", "7d" (fractions ok) into seconds; 1 if valid. */
int pmv_parse_duration(const char *s, double *seconds);

/* 1 if arg is -h or --help. */
int pmv_is_help(const char *arg);


/* 1 if stdout should get bold/escape sequences: a tty, NO_COLOR unset,
   TERM not "dumb". */
int pmv_use_bold(FILE *f);


/* Subcommands: argv[0] is the subcommand name. Each returns an exit status;
   each prints its help for -h or --help (its options table, options.h). */
int pmv_cmd_list(int argc, char **argv);
int pmv_cmd_stats(int argc, char **argv);
int pmv_cmd_export(int argc, char **argv);
int pmv_cmd_gc(int argc, char **argv);
int pmv_cmd_top(int argc, char **argv);
int pmv_cmd_watch(int argc, char **argv);
int pmv_cmd_gate(int argc, char **argv);
int pmv_cmd_record(int argc, char **argv);
int pmv_cmd_history(int argc, char **argv);
int pmv_cmd_compare(int argc, char **argv);

#endif
