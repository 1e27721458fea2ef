/* clock.c - monotonic seconds */
#include "base/clock.h"

#include <time.h>

double pmv_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
