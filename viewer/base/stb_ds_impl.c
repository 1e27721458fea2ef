/* stb_ds_impl.c - the one translation unit that holds stb_ds's code */
#define STB_DS_IMPLEMENTATION
#include <stb_ds.h>
