/* fuzz_meta_v3.c - fuzz target: a Zarr v3 zarr.json (see fuzz_meta_common.h). */
#include "fuzz_meta_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_meta(data, size, 0);
}
