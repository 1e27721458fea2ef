/* fake_nvml.c - a stand-in libnvidia-ml for tests: two GPUs with fixed
   figures, so the dlopen path of viewer/read/nvml.c runs for real on a
   machine without a GPU. FAKE_NVML_INIT_FAIL=1 makes nvmlInit_v2 fail.
   GPU 1 has no temperature sensor (NVML_ERROR_NOT_SUPPORTED). */
#include <stdlib.h>

typedef struct { unsigned int gpu, memory; } fake_util;
typedef struct { unsigned long long total, free, used; } fake_mem;

#define OK 0
#define NOT_SUPPORTED 3
#define INVALID 2

static int inited;

int nvmlInit_v2(void)
{
    const char *f = getenv("FAKE_NVML_INIT_FAIL");
    if (f && *f == '1') return 9;   /* NVML_ERROR_DRIVER_NOT_LOADED */
    inited = 1;
    return OK;
}

int nvmlDeviceGetCount_v2(unsigned int *n)
{
    if (!inited) return 1;
    *n = 2;
    return OK;
}

/* a handle is an opaque pointer: the index + 1 serves */
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h)
{
    if (i > 1) return INVALID;
    *h = (void *)(unsigned long)(i + 1);
    return OK;
}

int nvmlDeviceGetUtilizationRates(void *h, fake_util *u)
{
    u->gpu = h == (void *)1 ? 45 : 90;
    u->memory = 10;
    return OK;
}

int nvmlDeviceGetMemoryInfo(void *h, fake_mem *m)
{
    m->total = 8ull << 30;
    m->used = h == (void *)1 ? 2ull << 30 : 6ull << 30;
    m->free = m->total - m->used;
    return OK;
}

int nvmlDeviceGetTemperature(void *h, int sensor, unsigned int *t)
{
    if (sensor != 0 || h != (void *)1) return NOT_SUPPORTED;
    *t = 61;
    return OK;
}

int nvmlDeviceGetPowerUsage(void *h, unsigned int *mw)
{
    *mw = h == (void *)1 ? 120500 : 250000;
    return OK;
}
