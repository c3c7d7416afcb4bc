"""Weights as PyTorch has them: safetensors files, state_dict() / load_state_dict(), and partial
loads with prefix renames and skip patterns (the C API's "safetensors and partial loads").

Names and layouts are PyTorch's state_dict ones, so `torch.from_numpy` of `state_dict()`'s
arrays, or a safetensors reader's dict of the exported file, is what
`torch.nn.Module.load_state_dict(strict=True)` of the equivalent module takes, and the reverse.
"""
import collections
import ctypes
import os

from ._buffers import numpy
from ._native import PartialLoadOptions, lib
from .errors import NnstateError, check

NOT_FOUND, SHAPE_MISMATCH = -7, -2

# What torch's load_state_dict returns (its _IncompatibleKeys has these two fields).
LoadResult = collections.namedtuple("LoadResult", ["missing_keys", "unexpected_keys"])
# A partial load's report: network names loaded, file names skipped, and what did not match.
PartialLoadResult = collections.namedtuple(
    "PartialLoadResult",
    ["loaded", "skipped", "missing_keys", "unexpected_keys", "mismatched_keys"])

_REPORT_LISTS = 5  # NNSTATE_REPORT_LOADED .. _MISMATCHED


def _report(handle):
    """The lists of a C load report, which is freed."""
    try:
        lists = []
        for which in range(_REPORT_LISTS):
            count = ctypes.c_size_t()
            check(lib.nnstate_load_report_count(handle, which, ctypes.byref(count)))
            names = []
            for index in range(count.value):
                name = ctypes.c_char_p()
                check(lib.nnstate_load_report_name(handle, which, index, ctypes.byref(name)))
                names.append(name.value.decode())
            lists.append(names)
        return PartialLoadResult(*lists)
    finally:
        lib.nnstate_load_report_free(handle)


def _strings(values):
    encoded = [str(v).encode() for v in values]
    return encoded, (ctypes.c_char_p * max(len(encoded), 1))(*encoded)


def save_safetensors(network, path, metadata=None, fsync=True):
    """Writes parameters and buffers as .safetensors (the architecture and the library version
    in its metadata, beside `metadata`), crash-safely."""
    from .checkpoint import save_options
    options, _keep = save_options(metadata, fsync)
    check(lib.nnstate_network_save_safetensors(network.handle, os.fsencode(path),
                                               ctypes.byref(options)))


def load_safetensors(network, path, strict=True):
    """Loads a .safetensors file by name (F16, BF16, F64 and I64 converted to float32). strict:
    every missing, unexpected or mis-shaped tensor is an NnstateError listing them all, and
    nothing changes. strict=False returns LoadResult(missing_keys, unexpected_keys) as torch
    does; a tensor of another shape is an error in both modes, as in torch."""
    handle = ctypes.c_void_p()
    check(lib.nnstate_network_load_safetensors(network.handle, os.fsencode(path),
                                               int(bool(strict)), ctypes.byref(handle)))
    report = _report(handle)
    if report.mismatched_keys:
        raise NnstateError(SHAPE_MISMATCH, f"{os.fspath(path)}: tensors of another shape (the "
                           f"others were loaded): {', '.join(report.mismatched_keys)}")
    return LoadResult(report.missing_keys, report.unexpected_keys)


def load_partial(network, path, rename=None, skip=(), strict=False):
    """Loads the tensors of a checkpoint or .safetensors file whose names (after `rename`, a
    dict or pairs of prefixes such as {"backbone.": "features."}) and shapes match the network's,
    leaving out file names matching the fnmatch patterns of `skip` (e.g. "fc.*"). Returns a
    PartialLoadResult(loaded, skipped, missing_keys, unexpected_keys, mismatched_keys)."""
    pairs = list(rename.items()) if isinstance(rename, dict) else list(rename or ())
    options = PartialLoadOptions()
    check(lib.nnstate_partial_load_options_init(ctypes.byref(options)))
    options.strict = int(bool(strict))
    keep = []
    if pairs:
        from_names, from_array = _strings(p[0] for p in pairs)
        to_names, to_array = _strings(p[1] for p in pairs)
        options.rename_from = ctypes.cast(from_array, ctypes.POINTER(ctypes.c_char_p))
        options.rename_to = ctypes.cast(to_array, ctypes.POINTER(ctypes.c_char_p))
        options.rename_count = len(pairs)
        keep += [from_names, from_array, to_names, to_array]
    patterns = list(skip)
    if patterns:
        names, array = _strings(patterns)
        options.skip_patterns = ctypes.cast(array, ctypes.POINTER(ctypes.c_char_p))
        options.skip_count = len(patterns)
        keep += [names, array]
    handle = ctypes.c_void_p()
    check(lib.nnstate_network_load_partial(network.handle, os.fsencode(path),
                                           ctypes.byref(options), ctypes.byref(handle)))
    return _report(handle)


def safetensors_metadata(path, key):
    """The value of `key` in a .safetensors file's __metadata__ (e.g. "nnstate.architecture")."""
    from .network import _text
    return _text(lambda buffer, capacity, size: lib.nnstate_safetensors_metadata(
        os.fsencode(path), str(key).encode(), buffer, capacity, size))


def _need_numpy(what):
    if numpy is None:
        raise NnstateError(-1, f"{what} needs numpy")


def state_dict(network):
    """An OrderedDict of float32 numpy arrays, PyTorch's names, shapes and order."""
    names = network.tensors()  # a closed or busy network refuses first (STATE)
    _need_numpy("state_dict()")
    return collections.OrderedDict((name, network.get_tensor(name)) for name in names)


def _as_float32(name, value):
    """`value` as a C-contiguous float32 array: the same object when it is one already."""
    if hasattr(value, "detach"):  # a torch tensor that may require grad
        value = value.detach()
    try:
        array = numpy.asarray(value)
    except Exception as e:  # noqa: BLE001 -- report which entry could not be read
        raise NnstateError(-1, f"state_dict entry {name!r} is not an array: {e}") from e
    if array.dtype == numpy.float32 and array.flags["C_CONTIGUOUS"]:
        return array
    if not (numpy.issubdtype(array.dtype, numpy.number) or array.dtype == numpy.bool_):
        raise NnstateError(-1, f"state_dict entry {name!r} has dtype {array.dtype}, not a number")
    # (numpy.ascontiguousarray would make a 0-d array, num_batches_tracked's, 1-d)
    return numpy.array(array, dtype=numpy.float32, order="C")


def load_state_dict(network, state, strict=True):
    """Copies `state` (name -> numpy array, torch tensor or anything with __array__) into the
    network, as torch.nn.Module.load_state_dict: strict, a missing or unexpected key is an
    NnstateError listing them all; a shape mismatch is one in both modes. Checked before anything
    is written. Returns LoadResult(missing_keys, unexpected_keys). C-contiguous float32 arrays
    are read in place (no copy)."""
    have = network.tensors()  # a closed or busy network refuses first (STATE)
    _need_numpy("load_state_dict()")
    arrays = collections.OrderedDict((k, _as_float32(k, v)) for k, v in state.items())
    missing = [k for k in have if k not in arrays]
    unexpected = [k for k in arrays if k not in have]
    errors = []
    if strict and missing:
        errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
    if strict and unexpected:
        errors.append("Unexpected key(s) in state_dict: "
                      + ", ".join(f'"{k}"' for k in unexpected))
    mismatched = False
    for k, array in arrays.items():
        if k in have and tuple(array.shape) != have[k][0]:
            mismatched = True
            errors.append(f"size mismatch for {k}: copying a param with shape "
                          f"{list(array.shape)} from checkpoint, the shape in current model is "
                          f"{list(have[k][0])}.")
    if errors:
        raise NnstateError(SHAPE_MISMATCH if mismatched else NOT_FOUND,
                           "Error(s) in loading state_dict for Network:\n\t" + "\n\t".join(errors))
    for k, array in arrays.items():
        if k in have:
            check(lib.nnstate_network_set_tensor(network.handle, k.encode(),
                                                 ctypes.c_void_p(array.ctypes.data), array.size))
    return LoadResult(missing, unexpected)
