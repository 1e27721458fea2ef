/* sys_lines.h - the machine in a few dashboard lines

       machine  cpu 23.4% of 8 cores  mem 3.1GiB used of 15.5GiB (20.0%)  swap ...  load 0.52 0.40 0.31
       cores    0 12%  1 45%  2 3% ...  (as many as the width takes, then "+N")
       storage  / 45%  /home 80% ...  (fullest first)  read 1.2MiB/s  write 3KiB/s
       net      rx 1.0KiB/s  tx 2.0KiB/s  (all interfaces but lo)
       gpu      0 45%  mem 2GiB of 8GiB  61C  120W  (only with GPUs)

   The figures are read/system.h's, between two samples (a may be NULL:
   rates are then "-", CPU usage since boot). Mount and interface names
   are shown through pmv_printable. */
#ifndef PMV_SYS_LINES_H
#define PMV_SYS_LINES_H

#include "out/screen.h"
#include "read/system.h"

void pmv_sys_lines(pmv_screen *S, const pmv_sys *a, const pmv_sys *b);

#endif
