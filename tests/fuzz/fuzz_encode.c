/*
 * fuzz_encode.c - fuzz target: the encoders.  decode(encode(x)) == x for
 * every lossless codec and parameter set of encode_cases.h, on fuzzed data,
 * types and shapes; lossy ones must say so, and still encode and decode
 * within their buffers (ASan).  Input layout:
 *   byte 0      the case (index into ZF_ENCODE_CASES, mod their number)
 *   byte 1      the data type (index into FUZZ_TYPES) unless the case forces one
 *   byte 2      ndim (mod 4) unless the case forces a shape
 *   ndim bytes  the chunk shape, each (b % 16) + 1
 *   the rest    the elements, repeated to fill the chunk
 */
#include "fuzz_util.h"
#include "encode_cases.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    const zf_encode_case *k = &ZF_ENCODE_CASES[data[0] % ZF_ENCODE_NCASES];
    const zf_dtype *dt = zf_dtype_by_name(k->dtype ? k->dtype
                                                   : FUZZ_TYPES[data[1] & 15]);
    int ndim = k->ndim ? k->ndim : data[2] % 4;
    size_t at = 3;
    uint64_t shape[ZF_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        if (k->ndim)
            shape[d] = k->shape[d];
        else if (at < size)
            shape[d] = data[at++] % 16 + 1;
        else
            return 0;
    }
    char why[512];
    int r = zf_encode_roundtrip(k, dt, ndim, shape, data + at, size - at, why,
                                sizeof why);
    FUZZ_CHECK(r >= 0, "case %u: %s", (unsigned)(data[0] % ZF_ENCODE_NCASES),
               why);
    return 0;
}
