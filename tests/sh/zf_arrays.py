"""zf_arrays.py - random test arrays for the tests/sh scripts (imported by
their Python parts; tests/sh is put on PYTHONPATH by mount_common.bash)."""
import numpy as np


def random_array(rng, dtype, shape):
    """Values spread over the whole range of `dtype` (bool: 0 or 1; floats:
    normal x 1000; complex: normal real and imaginary parts)."""
    n = int(np.prod(shape))
    if dtype == "bool":
        return rng.integers(0, 2, n).astype(bool).reshape(shape)
    if dtype.startswith("complex"):
        return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dtype).reshape(shape)
    if dtype.startswith("float"):
        return (rng.standard_normal(n) * 1000).astype(dtype).reshape(shape)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True).reshape(shape)
