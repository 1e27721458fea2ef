/* json.h - a small, bounded JSON reader (RFC 8259) for baselines and exports

   Parses a whole document into a tree. Input is untrusted: nesting is
   limited to PMV_JSON_MAX_DEPTH, the document to PMV_JSON_MAX_BYTES, every
   error is reported with its byte offset, and nothing reads past the end of
   the buffer (it need not be NUL-terminated). Strings are decoded to UTF-8
   (\uXXXX escapes and surrogate pairs included); a string holding \u0000
   keeps it in `len` but C-string users see it truncated. Numbers are
   doubles. Duplicate object keys are kept; pmv_json_get returns the first. */
#ifndef PMV_JSON_H
#define PMV_JSON_H

#include <stddef.h>

#define PMV_JSON_MAX_DEPTH 64
#define PMV_JSON_MAX_BYTES (256u << 20)

typedef enum pmv_json_type {
    PMV_JSON_NULL, PMV_JSON_BOOL, PMV_JSON_NUMBER, PMV_JSON_STRING,
    PMV_JSON_ARRAY, PMV_JSON_OBJECT
} pmv_json_type;

typedef struct pmv_json pmv_json;
struct pmv_json {
    pmv_json_type type;
    int boolean;
    double number;
    char *str;          /* STRING: decoded, NUL-terminated */
    size_t len;         /* STRING: bytes, without the terminator */
    pmv_json *items;    /* ARRAY, OBJECT: values (stb_ds array) */
    char **keys;        /* OBJECT: keys, parallel to items (stb_ds array) */
};

/* Parses text[0..len). Returns the root, or NULL with "offset N: why" in
   err. Thread safety: reentrant. */
pmv_json *pmv_json_parse(const char *text, size_t len, char *err, size_t errlen);

/* Reads a whole file (at most PMV_JSON_MAX_BYTES) and parses it. */
pmv_json *pmv_json_parse_file(const char *path, char *err, size_t errlen);

void pmv_json_free(pmv_json *root);

/* Member of an object by key (NULL if v is not an object or has none). */
const pmv_json *pmv_json_get(const pmv_json *v, const char *key);

/* Number of items of an array or object; 0 for anything else. */
size_t pmv_json_count(const pmv_json *v);

/* Typed views: NULL/NAN/default when v is NULL or of another type. */
const char *pmv_json_string(const pmv_json *v);
double pmv_json_number(const pmv_json *v);   /* NAN unless a number */

#endif
