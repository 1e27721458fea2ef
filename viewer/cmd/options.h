/* options.h - one table-driven command-line parser for every subcommand

   Each command declares its options once, in a table (the model is git's
   parse_options); the parser, the usage line, the options part of --help
   and the error messages all come from that table, so they cannot disagree.

       int dry = 0;  uint32_t *pids = NULL;  double age = -1;
       pmv_option opts[] = {
           { PMV_OPT('n', "dry-run", PMV_OPT_FLAG, &dry, NULL, "remove nothing") },
           { PMV_OPT('p', "pid", PMV_OPT_PID, &pids, "PID", "only this pid"), .repeat = 1 },
           { PMV_OPT(0, "older-than", PMV_OPT_DURATION, &age, "AGE", "..."), .min = 0, .max = 1e9 },
           { 0 }
       };
       pmv_command cmd = { "gc", "", opts, about, after };
       pmv_args a;
       int status;
       if (!pmv_parse_options(&cmd, argc, argv, &a, &status)) return status;

   Accepted spellings: --name value, --name=value, -x value, -xvalue; a
   value is taken as given even when it starts with '-' (`-o -`). "--"
   ends the options; "-" alone is an argument. Long names are never
   abbreviated (scripts depend on them). -h and --help print the help.
   Given twice, an option's last value wins unless it is repeatable; the
   arrays of repeatable options start empty (NULL) and are freed by the
   parser when it fails. */
#ifndef PMV_OPTIONS_H
#define PMV_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

typedef enum pmv_opt_type {
    PMV_OPT_FLAG,       /* int *: set to 1; takes no value */
    PMV_OPT_STRING,     /* const char **: a non-empty string (repeat: const char ** stb_ds array) */
    PMV_OPT_INT,        /* long *: a decimal integer in [min, max] */
    PMV_OPT_DOUBLE,     /* double *: a number in [min, max] (bounds open with the flags below) */
    PMV_OPT_DURATION,   /* double *: seconds via pmv_parse_duration ("90", "1.5s", "15m"), in [min, max] */
    PMV_OPT_CHOICE,     /* int *: index of the value in choices */
    PMV_OPT_PID,        /* uint32_t *: a process id (repeat: uint32_t * stb_ds array) */
    PMV_OPT_SPLIT       /* int *: set to the number of arguments before it: the
                           arguments after it form a second list (watch --series) */
} pmv_opt_type;

enum {
    PMV_OPT_ABOVE_MIN = 1,  /* min itself is refused */
    PMV_OPT_BELOW_MAX = 2,  /* max itself is refused */
};

typedef struct pmv_option {
    char short_name;            /* 'i', or 0 for none */
    const char *long_name;      /* "interval" (without "--"); NULL ends the table */
    pmv_opt_type type;
    void *value;                /* where the parsed value goes (see the types) */
    const char *arg;            /* the value's name in help: "S", "FILE" (CHOICE: the choices) */
    const char *help;           /* help text; '\n' continues it on the next line */
    double min, max;            /* INT, DOUBLE, DURATION: the range */
    unsigned bounds;            /* PMV_OPT_ABOVE_MIN | PMV_OPT_BELOW_MAX */
    const char *const *choices; /* CHOICE: NULL-terminated */
    int repeat;                 /* STRING, PID: collect every occurrence */
    const char *example;        /* DURATION: good values, for a bad value's message */
} pmv_option;

/* The fields every entry gives, designated (the rest default to 0):
   { PMV_OPT('i', "interval", PMV_OPT_DURATION, &iv, "S", "help"), .min = 0.05, .max = 60 } */
#define PMV_OPT(short_, long_, type_, value_, arg_, help_) \
    .short_name = (short_), .long_name = (long_), .type = (type_), .value = (value_), .arg = (arg_), .help = (help_)

typedef struct pmv_command {
    const char *name;           /* "stats" */
    const char *args;           /* synopsis of the arguments: "PID [NAME...]"; the
                                   options go where it says [OPTIONS], else after it */
    const pmv_option *options;  /* ends with a { 0 } entry */
    const char *about;          /* help prose before the options */
    const char *after;          /* help prose after the options (exit status...) */
    const char *also;           /* more usage lines, e.g. another form; or NULL */
    int pid_first;              /* the first argument is a PID: "-1" there is a bad
                                   PID, not an unknown option */
} pmv_command;

typedef struct pmv_args {
    char **pos;                 /* the arguments that are not options, in order, NULL-terminated */
    int n;                      /* how many */
    int dashdash;               /* index in pos of the first one after "--", or -1 */
} pmv_args;

/* Parses argv[1..argc-1] (argv[0] is the command's name) by the table.
   Returns 1 with the values stored, *status PMV_EXIT_OK and *a filled (free it with
   pmv_args_free): the command goes on. Returns 0 with nothing left to free
   and *status the command's exit status: PMV_EXIT_OK when --help was
   printed, PMV_EXIT_USAGE after one line on stderr naming the command and
   the mistake. Thread safety: not thread-safe (writes the table's targets
   and stderr). */
int pmv_parse_options(const pmv_command *cmd, int argc, char **argv, pmv_args *a, int *status);

void pmv_args_free(pmv_args *a);

/* The whole help: usage line(s), about, "options:" from the table, after. */
void pmv_print_help(const pmv_command *cmd, FILE *f);

/* A usage error of cmd: one line "perfmon-view: NAME: message; try
   'perfmon-view NAME --help'" on stderr. Returns PMV_EXIT_USAGE. */
int pmv_command_error(const pmv_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a positional PID argument: PMV_EXIT_OK with *pid set, or
   PMV_EXIT_USAGE after a "bad PID" usage error of cmd. */
int pmv_command_pid(const pmv_command *cmd, const char *arg, uint32_t *pid);

#endif
