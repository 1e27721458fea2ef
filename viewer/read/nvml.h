/* nvml.h - GPUs through NVIDIA's NVML, loaded at run time

   dlopen()s $PMV_NVML_LIB (default libnvidia-ml.so.1) on first use and
   keeps it; a missing library, a missing symbol or a failing nvmlInit is
   "no GPUs", silently, and is not retried until the path changes. No NVML
   header is needed: the few types used are declared in nvml.c. */
#ifndef PMV_NVML_H
#define PMV_NVML_H

#include "read/system.h"

/* Fills up to max GPUs; returns how many (0: none or no driver). A
   figure a GPU does not give is NAN. Thread safety: not reentrant. */
int pmv_nvml_sample(pmv_sys_gpu *gpu, int max);

#endif
