/* nvml.c - GPU utilisation, memory, temperature and power from NVML */
#include "read/nvml.h"

#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The parts of nvml.h used here, as NVML's ABI defines them. */
typedef int nvml_return;                       /* NVML_SUCCESS is 0 */
typedef struct nvml_device_st *nvml_device;
typedef struct { unsigned int gpu, memory; } nvml_utilization;
typedef struct { unsigned long long total, free, used; } nvml_memory;
#define NVML_TEMPERATURE_GPU 0

typedef struct nvml_api {
    nvml_return (*init)(void);
    nvml_return (*count)(unsigned int *);
    nvml_return (*handle)(unsigned int, nvml_device *);
    nvml_return (*util)(nvml_device, nvml_utilization *);
    nvml_return (*mem)(nvml_device, nvml_memory *);
    nvml_return (*temp)(nvml_device, int, unsigned int *);
    nvml_return (*power)(nvml_device, unsigned int *); /* milliwatts */
} nvml_api;

static struct {
    char path[512];     /* the library tried last */
    int tried, ok;
    void *lib;
    nvml_api api;
} nv;

/* dlsym into a function pointer without the object-to-function cast
   -Wpedantic warns about. */
static int sym(void *lib, const char *name, void *fp)
{
    void *p = dlsym(lib, name);
    if (!p) return 0;
    memcpy(fp, &p, sizeof p);
    return 1;
}

static void load(const char *path)
{
    if (nv.lib) dlclose(nv.lib);   /* no nvmlShutdown: the next init of a library counts again */
    memset(&nv, 0, sizeof nv);
    strncpy(nv.path, path, sizeof nv.path - 1);
    nv.tried = 1;
    nv.lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!nv.lib) return;
    nvml_api *a = &nv.api;
    if (!sym(nv.lib, "nvmlInit_v2", &a->init) || !sym(nv.lib, "nvmlDeviceGetCount_v2", &a->count) ||
        !sym(nv.lib, "nvmlDeviceGetHandleByIndex_v2", &a->handle) ||
        !sym(nv.lib, "nvmlDeviceGetUtilizationRates", &a->util) ||
        !sym(nv.lib, "nvmlDeviceGetMemoryInfo", &a->mem) || !sym(nv.lib, "nvmlDeviceGetTemperature", &a->temp) ||
        !sym(nv.lib, "nvmlDeviceGetPowerUsage", &a->power) || a->init() != 0) {
        dlclose(nv.lib);
        nv.lib = NULL;
        return;
    }
    nv.ok = 1;
}

int pmv_nvml_sample(pmv_sys_gpu *gpu, int max)
{
    const char *path = getenv("PMV_NVML_LIB");
    if (!path || !*path) path = "libnvidia-ml.so.1";
    if (!nv.tried || strncmp(nv.path, path, sizeof nv.path - 1) != 0) load(path);
    if (!nv.ok) return 0;
    unsigned int n = 0;
    if (nv.api.count(&n) != 0) return 0;
    if (n > (unsigned)max) n = (unsigned)max;
    for (unsigned int i = 0; i < n; i++) {
        pmv_sys_gpu *g = &gpu[i];
        g->usage = g->mem_used = g->mem_total = g->temp_c = g->power_w = NAN;
        nvml_device d;
        if (nv.api.handle(i, &d) != 0) continue;
        nvml_utilization u;
        nvml_memory m;
        unsigned int t, p;
        if (nv.api.util(d, &u) == 0 && u.gpu <= 100) g->usage = u.gpu;
        if (nv.api.mem(d, &m) == 0 && m.used <= m.total) {
            g->mem_used = (double)m.used;
            g->mem_total = (double)m.total;
        }
        if (nv.api.temp(d, NVML_TEMPERATURE_GPU, &t) == 0) g->temp_c = t;
        if (nv.api.power(d, &p) == 0) g->power_w = p / 1000.0;
    }
    return (int)n;
}
