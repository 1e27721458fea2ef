/* main.c - perfmon-view: subcommand dispatch, help and version */
#include <string.h>

#include "cmd/cli.h"

static const char help_main[] =
    "usage: perfmon-view COMMAND [ARGS...]\n"
    "       perfmon-view PID [SELECTOR...] [-i S] [--once]   (the live dashboard)\n"
    "\n"
    "Reads the perfmon shared-memory segment of an instrumented process\n"
    "(/dev/shm/perfmon.<pid>, or $PERFMON_SHM_DIR/perfmon.<pid>) while it runs\n"
    "or after it exited or crashed.\n"
    "\n"
    "commands:\n"
    "  list                          segments you may read, with their state\n"
    "  stats PID [SELECTOR...]       table of every (or the selected) series\n"
    "  export PID [SELECTOR...] [--format json|csv] [-o FILE]\n"
    "                                machine-readable dump of (selected) series\n"
    "  gc [--dry-run]                remove segments whose writer is gone\n"
    "  top PID [SELECTOR...] [-i S] [--once] [--no-color]\n"
    "                                live dashboard (also a bare PID)\n"
    "  watch PID [-i S] [-n N] [--format csv|json] [--series SELECTOR...]\n"
    "                                window figures, one line per interval\n"
    "  gate RULES [--runs N] [--baseline F] -- CMD | --pid PID\n"
    "                                CI performance gate: rules -> exit 0/1\n"
    "  record [PID...] [--all] [--name P] [-i S] [--db FILE]\n"
    "                                sample processes into the history (SQLite)\n"
    "  history SELECTOR... --db FILE [--stat S] [--step D] [--since AGE]\n"
    "                                a time series from the history\n"
    "  compare A B [SELECTOR...] [--db FILE] [--fail-on RULE]\n"
    "                                two windows, runs, exports or PIDs side by side\n"
    "  help COMMAND                  that command's help (also COMMAND --help)\n"
    "\n"
    "A bare PID runs the live dashboard (`top PID`); piped, it prints one\n"
    "plain snapshot. SELECTOR: a full name, base name, glob or partial label\n"
    "set (README.md, \"Selecting series\").\n"
    "\n"
    "options:\n"
    "  -h, --help      this help\n"
    "  --version       print the version\n"
    "\n"
    "environment:\n"
    "  PERFMON_SHM_DIR  directory of segments (default /dev/shm)\n"
    "  NO_COLOR         no bold or other escape sequences in tables\n"
    "  PERFMON_DB       the history database (record, --db)\n"
    "  PERFMON_RETENTION  record's default --retention\n"
    "\n"
    "exit status:\n"
    "  0  ok\n"
    "  1  a check failed (gate: a rule failed)\n"
    "  2  usage or input error: bad arguments, no or unreadable segment, NAMEs\n"
    "     that select no series, a mistake in gate rules (one line on stderr)\n"
    "\n"
    "Options of every command: --opt value or --opt=value, -o value or -ovalue;\n"
    "'--' ends the options.\n";

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    { "list", pmv_cmd_list }, { "stats", pmv_cmd_stats }, { "export", pmv_cmd_export },
    { "gc", pmv_cmd_gc }, { "top", pmv_cmd_top }, { "watch", pmv_cmd_watch }, { "gate", pmv_cmd_gate },
    { "record", pmv_cmd_record },
    { "history", pmv_cmd_history },
    { "compare", pmv_cmd_compare },
};

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    pmv_escape_init();
    if (argc < 2) return pmv_usage_error("missing command");
    const char *cmd = argv[1];
    if (pmv_is_help(cmd)) {
        fputs(help_main, stdout);
        return PMV_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("perfmon-view %s (segment layout version %u)\n", PMV_VERSION, PM_SHM_VERSION);
        return PMV_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            fputs(help_main, stdout);
            return PMV_EXIT_OK;
        }
        const command *c = find_command(argv[2]);
        if (!c) return pmv_usage_error("help: unknown command '%s'", argv[2]);
        char *help_argv[] = { argv[2], "--help", NULL };  /* the command prints its own */
        return c->run(2, help_argv);
    }
    const command *c = find_command(cmd);
    if (c) return c->run(argc - 1, argv + 1);
    if (cmd[0] >= '0' && cmd[0] <= '9') /* bare PID: the live dashboard */
        return pmv_cmd_top(argc, argv);
    if (cmd[0] == '-') return pmv_usage_error("unknown option '%s'", cmd);
    return pmv_usage_error("unknown command '%s'", cmd);
}
