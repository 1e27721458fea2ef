/* bucket_blob.c - varint pairs for sparse histogram buckets */
#include "store/bucket_blob.h"

#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "perfmon_shm.h"

static void put_varint(uint8_t **out, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        arrput(*out, (uint8_t)(b | (v ? 0x80 : 0)));
    } while (v);
}

static int get_varint(const uint8_t *p, size_t len, size_t *at, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*at >= len) return -1;
        uint8_t b = p[(*at)++];
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *v = x; return 0; }
    }
    return -1;
}

void pmv_blob_encode(const pmv_bin *bins, ptrdiff_t n, uint8_t **out)
{
    if (*out) stbds_header(*out)->length = 0;  /* keep the capacity */
    uint32_t prev = 0;
    for (ptrdiff_t i = 0; i < n; i++) {
        put_varint(out, bins[i].index - prev);
        put_varint(out, bins[i].n);
        prev = bins[i].index;
    }
}

int pmv_blob_merge(const void *blob, size_t len, pmv_bin **bins, uint64_t *total)
{
    const uint8_t *p = blob;
    pmv_bin *add = NULL;
    size_t at = 0;
    uint64_t index = 0, sum = 0;
    while (at < len) {
        uint64_t d, n;
        if (get_varint(p, len, &at, &d) || get_varint(p, len, &at, &n)) goto bad;
        index += d;
        if ((arrlen(add) && d == 0) || index >= PM_SHM_HIST_BUCKETS || n == 0 || sum + n < sum) goto bad;
        sum += n;
        pmv_bin b = { (uint32_t)index, n };
        arrput(add, b);
    }
    /* merge two sorted runs */
    pmv_bin *out = NULL;
    ptrdiff_t i = 0, j = 0, na = arrlen(*bins), nb = arrlen(add);
    while (i < na || j < nb) {
        if (j == nb || (i < na && (*bins)[i].index < add[j].index)) arrput(out, (*bins)[i++]);
        else if (i == na || add[j].index < (*bins)[i].index) arrput(out, add[j++]);
        else {
            pmv_bin b = { add[j].index, (*bins)[i].n + add[j].n };
            arrput(out, b);
            i++;
            j++;
        }
    }
    arrfree(*bins);
    *bins = out;
    arrfree(add);
    *total += sum;
    return 0;
bad:
    arrfree(add);
    return -1;
}
