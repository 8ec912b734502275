/* fuzz_meta_v2.c - fuzz target: a Zarr v2 .zarray (see fuzz_meta_common.h). */
#include "fuzz_meta_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_meta(data, size, 1);
}
