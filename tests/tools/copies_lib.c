/* copies_lib.c - a shared library with its own hidden copy of perfmon (the
   "two implementations in one process" case; see copies_main.c). */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

__attribute__((visibility("default"))) void copies_lib_work(int n);

void copies_lib_work(int n)
{
    for (int i = 0; i < n; i++) {
        PM_COUNT("shared.count", 1);
        PM_COUNT("lib.only", 1);
        PM_RECORD("both.dist", 100);
    }
}
