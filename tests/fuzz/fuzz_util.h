/*
 * fuzz_util.h - what the fuzz targets share: a zf_zarr shell for the
 * metadata parsers (they only record it in the array) and a bounded copy of
 * the input as a NUL-terminated string.  Each target defines
 * LLVMFuzzerTestOneInput; built with -fsanitize=fuzzer under ZF_FUZZ, or with
 * fuzz_replay.c (a main that feeds it files) everywhere else, so the files
 * under regressions/ replay in every build.
 */
#ifndef ZF_FUZZ_UTIL_H
#define ZF_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A finding that is not a sanitizer report: print and abort, so libFuzzer
 * saves the input and the replay test fails. */
#define FUZZ_UNUSED __attribute__((unused))

#define FUZZ_CHECK(cond, ...)                                                \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);               \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* The data types a fuzzed byte picks (its low 4 bits), for the targets that
 * build pipelines. */
static const char *const FUZZ_TYPES[16] FUZZ_UNUSED = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "float16", "float32", "float64", "complex64", "complex128",
    "uint8", "float32"};

static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = 0;
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
