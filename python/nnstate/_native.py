"""Loads libnnstate.so.1 and declares the C signatures used by the binding (ctypes only).

The library is found through, in order:
1. the NNSTATE_LIBRARY environment variable (a path; when set, nothing else is tried);
2. the library `cmake --install` put beside this package (its path relative to the package is
   recorded at install time in _installed_library.py, so the installed tree may move);
3. a copy next to this package (libnnstate.so.1 in this directory);
4. the system loader: libnnstate.so.1 through LD_LIBRARY_PATH and the ldconfig cache.
"""
import ctypes
import os

c_status = ctypes.c_int32
c_size_p = ctypes.POINTER(ctypes.c_size_t)
c_float_p = ctypes.POINTER(ctypes.c_float)
c_int64_p = ctypes.POINTER(ctypes.c_int64)
c_int32_p = ctypes.POINTER(ctypes.c_int32)


class OptimizerOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("kind", ctypes.c_int32),
        ("lr", ctypes.c_double),
        ("beta1", ctypes.c_double),
        ("beta2", ctypes.c_double),
        ("eps", ctypes.c_double),
        ("weight_decay", ctypes.c_double),
        ("amsgrad", ctypes.c_int32),
        ("maximize", ctypes.c_int32),
        ("momentum", ctypes.c_double),
        ("dampening", ctypes.c_double),
        ("nesterov", ctypes.c_int32),
    ]


class ParamGroupOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("patterns", ctypes.POINTER(ctypes.c_char_p)),
        ("pattern_count", ctypes.c_size_t),
        ("lr", ctypes.c_double),
        ("beta1", ctypes.c_double),
        ("beta2", ctypes.c_double),
        ("eps", ctypes.c_double),
        ("weight_decay", ctypes.c_double),
    ]


class ParamGroupInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("lr", ctypes.c_double),
        ("beta1", ctypes.c_double),
        ("beta2", ctypes.c_double),
        ("eps", ctypes.c_double),
        ("weight_decay", ctypes.c_double),
        ("pattern_count", ctypes.c_size_t),
        ("parameter_count", ctypes.c_size_t),
    ]


class Conv2dOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("in_channels", ctypes.c_int64),
        ("out_channels", ctypes.c_int64),
        ("kernel_h", ctypes.c_int64),
        ("kernel_w", ctypes.c_int64),
        ("stride_h", ctypes.c_int64),
        ("stride_w", ctypes.c_int64),
        ("padding_h", ctypes.c_int64),
        ("padding_w", ctypes.c_int64),
        ("dilation_h", ctypes.c_int64),
        ("dilation_w", ctypes.c_int64),
        ("groups", ctypes.c_int64),
        ("bias", ctypes.c_int32),
    ]


class TrainerOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("epochs", ctypes.c_int64),
        ("batch_size", ctypes.c_int64),
        ("shuffle", ctypes.c_int32),
        ("drop_last", ctypes.c_int32),
    ]


class SchedulerOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("kind", ctypes.c_int32),
        ("per_batch", ctypes.c_int32),
        ("step_size", ctypes.c_int64),
        ("gamma", ctypes.c_double),
        ("milestones", c_int64_p),
        ("milestone_count", ctypes.c_size_t),
        ("t_max", ctypes.c_int64),
        ("eta_min", ctypes.c_double),
        ("start_factor", ctypes.c_double),
        ("end_factor", ctypes.c_double),
        ("total_iters", ctypes.c_int64),
        ("mode", ctypes.c_int32),
        ("factor", ctypes.c_double),
        ("patience", ctypes.c_int64),
        ("threshold", ctypes.c_double),
        ("threshold_mode", ctypes.c_int32),
        ("cooldown", ctypes.c_int64),
        ("min_lr", ctypes.c_double),
        ("eps", ctypes.c_double),
        ("monitor", ctypes.c_char_p),
    ]


class EarlyStoppingOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("monitor", ctypes.c_char_p),
        ("mode", ctypes.c_int32),
        ("min_delta", ctypes.c_double),
        ("patience", ctypes.c_int64),
        ("has_baseline", ctypes.c_int32),
        ("baseline", ctypes.c_double),
        ("restore_best_weights", ctypes.c_int32),
        ("start_from_epoch", ctypes.c_int64),
    ]


class EpochInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("epoch", ctypes.c_int64),
        ("loss", ctypes.c_double),
        ("accuracy", ctypes.c_double),
        ("val_loss", ctypes.c_double),
        ("val_accuracy", ctypes.c_double),
        ("lr", ctypes.c_double),
        ("seconds", ctypes.c_double),
    ]


class BatchInfo(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("epoch", ctypes.c_int64),
        ("batch", ctypes.c_int64),
        ("batches_per_epoch", ctypes.c_int64),
        ("global_step", ctypes.c_int64),
        ("loss", ctypes.c_double),
        ("samples", ctypes.c_int64),
        ("grad_norm", ctypes.c_double),
        ("optimizer_steps", ctypes.c_int64),
        ("skipped", ctypes.c_int32),
    ]


class StepOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("clip_grad_norm", ctypes.c_double),
        ("clip_norm_type", ctypes.c_double),
        ("clip_error_if_nonfinite", ctypes.c_int32),
        ("clip_grad_value", ctypes.c_double),
        ("accumulate_steps", ctypes.c_int64),
    ]


class RollbackOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("enabled", ctypes.c_int32),
        ("max_rollbacks", ctypes.c_int64),
        ("lr_factor", ctypes.c_double),
        ("skip_batches", ctypes.c_int64),
        ("snapshot_every", ctypes.c_int64),
        ("spike_factor", ctypes.c_double),
    ]


class RollbackEvent(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("epoch", ctypes.c_int64),
        ("batch", ctypes.c_int64),
        ("global_step", ctypes.c_int64),
        ("restored_step", ctypes.c_int64),
        ("loss", ctypes.c_double),
        ("lr", ctypes.c_double),
        ("reason", ctypes.c_int32),
        ("gave_up", ctypes.c_int32),
    ]


class SaveOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("fsync", ctypes.c_int32),
        ("metadata_keys", ctypes.POINTER(ctypes.c_char_p)),
        ("metadata_values", ctypes.POINTER(ctypes.c_char_p)),
        ("metadata_count", ctypes.c_size_t),
    ]


class PartialLoadOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("strict", ctypes.c_int32),
        ("rename_from", ctypes.POINTER(ctypes.c_char_p)),
        ("rename_to", ctypes.POINTER(ctypes.c_char_p)),
        ("rename_count", ctypes.c_size_t),
        ("skip_patterns", ctypes.POINTER(ctypes.c_char_p)),
        ("skip_count", ctypes.c_size_t),
    ]


class LoadOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("what", ctypes.c_int32),
        ("verify_crc", ctypes.c_int32),
    ]


class CheckpointPolicy(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("directory", ctypes.c_char_p),
        ("every_epochs", ctypes.c_int64),
        ("every_steps", ctypes.c_int64),
        ("on_stop", ctypes.c_int32),
        ("keep_last", ctypes.c_int64),
        ("keep_best", ctypes.c_int64),
        ("monitor", ctypes.c_char_p),
        ("mode", ctypes.c_int32),
        ("fsync", ctypes.c_int32),
        ("async_save", ctypes.c_int32),
        ("when_busy", ctypes.c_int32),
        ("max_staging_bytes", ctypes.c_uint64),
        ("on_save", ctypes.c_void_p),
        ("on_save_user_data", ctypes.c_void_p),
    ]


class SaveStats(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("completed", ctypes.c_int64),
        ("failed", ctypes.c_int64),
        ("skipped", ctypes.c_int64),
        ("waited", ctypes.c_int64),
        ("synchronous_fallbacks", ctypes.c_int64),
        ("bytes_written", ctypes.c_uint64),
        ("staging_peak_bytes", ctypes.c_uint64),
        ("in_flight", ctypes.c_int32),
        ("stall_seconds", ctypes.c_double),
    ]


EPOCH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.POINTER(EpochInfo), ctypes.c_void_p)
BATCH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.POINTER(BatchInfo), ctypes.c_void_p)

_P = ctypes.c_void_p
# name: (restype, argtypes)
_SIGNATURES = {
    "nnstate_version_string": (ctypes.c_char_p, []),
    "nnstate_abi_version": (ctypes.c_int32, []),
    "nnstate_status_string": (ctypes.c_char_p, [c_status]),
    "nnstate_last_error": (ctypes.c_char_p, []),
    "nnstate_network_create": (c_status, [ctypes.POINTER(_P), ctypes.c_uint64]),
    "nnstate_network_free": (None, [_P]),
    "nnstate_network_add_linear": (c_status, [_P, ctypes.c_int64, ctypes.c_int64, ctypes.c_int32]),
    "nnstate_network_add_activation": (c_status, [_P, ctypes.c_int32]),
    "nnstate_network_add_leaky_relu": (c_status, [_P, ctypes.c_float]),
    "nnstate_network_add_gelu": (c_status, [_P, ctypes.c_int32]),
    "nnstate_network_set_input_shape": (c_status, [_P, c_int64_p, ctypes.c_int32]),
    "nnstate_conv2d_options_init": (
        c_status, [ctypes.POINTER(Conv2dOptions), ctypes.c_int64, ctypes.c_int64, ctypes.c_int64]),
    "nnstate_network_add_conv2d": (c_status, [_P, ctypes.POINTER(Conv2dOptions)]),
    "nnstate_network_add_max_pool2d": (c_status, [_P] + [ctypes.c_int64] * 6),
    "nnstate_network_add_flatten": (c_status, [_P]),
    "nnstate_network_add_batch_norm": (
        c_status, [_P, ctypes.c_int32, ctypes.c_int64, ctypes.c_double, ctypes.c_double,
                   ctypes.c_int32, ctypes.c_int32]),
    "nnstate_network_add_dropout": (c_status, [_P, ctypes.c_double]),
    "nnstate_network_add_layer_norm": (
        c_status, [_P, c_int64_p, ctypes.c_int32, ctypes.c_double, ctypes.c_int32]),
    "nnstate_network_set_training_mode": (c_status, [_P, ctypes.c_int32]),
    "nnstate_network_get_training_mode": (c_status, [_P, c_int32_p]),
    "nnstate_network_layer_count": (c_status, [_P, c_size_p]),
    "nnstate_network_input_size": (c_status, [_P, c_size_p]),
    "nnstate_network_output_size": (c_status, [_P, c_size_p]),
    "nnstate_network_parameter_count": (c_status, [_P, ctypes.POINTER(ctypes.c_uint64)]),
    "nnstate_network_set_loss": (c_status, [_P, ctypes.c_int32]),
    "nnstate_optimizer_options_init": (c_status, [ctypes.POINTER(OptimizerOptions), ctypes.c_int32]),
    "nnstate_network_set_optimizer": (c_status, [_P, ctypes.POINTER(OptimizerOptions)]),
    "nnstate_network_get_lr": (c_status, [_P, ctypes.POINTER(ctypes.c_double)]),
    "nnstate_network_set_requires_grad": (c_status, [_P, ctypes.c_char_p, ctypes.c_int32]),
    "nnstate_network_set_deterministic": (c_status, [_P, ctypes.c_int64, ctypes.c_int32]),
    "nnstate_network_deterministic": (c_status, [_P, c_int64_p, c_int32_p]),
    "nnstate_network_is_frozen": (c_status, [_P, ctypes.c_char_p, c_int32_p]),
    "nnstate_network_frozen_count": (c_status, [_P, c_size_p]),
    "nnstate_network_frozen_name": (c_status, [_P, ctypes.c_size_t,
                                               ctypes.POINTER(ctypes.c_char_p)]),
    "nnstate_network_set_frozen_batchnorm_eval": (c_status, [_P, ctypes.c_int32]),
    "nnstate_network_get_frozen_batchnorm_eval": (c_status, [_P, c_int32_p]),
    "nnstate_param_group_options_init": (c_status, [ctypes.POINTER(ParamGroupOptions)]),
    "nnstate_network_set_optimizer_groups": (
        c_status, [_P, ctypes.POINTER(OptimizerOptions), ctypes.POINTER(ParamGroupOptions),
                   ctypes.c_size_t]),
    "nnstate_network_param_group_count": (c_status, [_P, c_size_p]),
    "nnstate_network_param_group": (c_status, [_P, ctypes.c_size_t,
                                               ctypes.POINTER(ParamGroupInfo)]),
    "nnstate_network_param_group_pattern": (
        c_status, [_P, ctypes.c_size_t, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p)]),
    "nnstate_network_param_group_of": (c_status, [_P, ctypes.c_char_p, c_size_p]),
    "nnstate_network_set_group_lr": (c_status, [_P, ctypes.c_size_t, ctypes.c_double]),
    "nnstate_trainer_set_group_min_lr": (
        c_status, [_P, ctypes.POINTER(ctypes.c_double), ctypes.c_size_t]),
    "nnstate_network_set_lr": (c_status, [_P, ctypes.c_double]),
    "nnstate_network_train_step": (
        c_status, [_P, _P, ctypes.c_size_t, _P, ctypes.c_size_t, ctypes.c_size_t, c_float_p]),
    "nnstate_network_evaluate": (
        c_status, [_P, _P, ctypes.c_size_t, _P, ctypes.c_size_t, ctypes.c_size_t, c_float_p]),
    "nnstate_network_predict": (
        c_status, [_P, _P, ctypes.c_size_t, ctypes.c_size_t, _P, ctypes.c_size_t]),
    "nnstate_network_tensor_count": (c_status, [_P, c_size_p]),
    "nnstate_network_tensor_info": (
        c_status,
        [_P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p), c_int32_p, c_int32_p, c_int64_p]),
    "nnstate_network_get_tensor": (c_status, [_P, ctypes.c_char_p, _P, ctypes.c_size_t]),
    "nnstate_network_add_node": (c_status, [_P, ctypes.c_char_p, c_int64_p]),
    "nnstate_network_node_json": (c_status, [_P, ctypes.c_size_t, _P, ctypes.c_size_t, c_size_p]),
    "nnstate_network_node_info": (
        c_status, [_P, ctypes.c_size_t, c_int32_p, c_int32_p, c_int32_p, c_int64_p,
                   ctypes.POINTER(ctypes.c_uint64)]),
    "nnstate_network_create_from_json": (
        c_status, [ctypes.POINTER(_P), ctypes.c_char_p, ctypes.c_uint64]),
    "nnstate_network_to_json": (c_status, [_P, _P, ctypes.c_size_t, c_size_p]),
    "nnstate_checkpoint_network_json": (c_status, [_P, _P, ctypes.c_size_t, c_size_p]),
    "nnstate_network_set_tensor": (c_status, [_P, ctypes.c_char_p, _P, ctypes.c_size_t]),
    "nnstate_dataset_create": (
        c_status, [ctypes.POINTER(_P), _P, ctypes.c_size_t, _P, ctypes.c_size_t, ctypes.c_size_t]),
    "nnstate_dataset_free": (None, [_P]),
    "nnstate_trainer_options_init": (c_status, [ctypes.POINTER(TrainerOptions)]),
    "nnstate_scheduler_options_init": (c_status, [ctypes.POINTER(SchedulerOptions), ctypes.c_int32]),
    "nnstate_early_stopping_options_init": (c_status, [ctypes.POINTER(EarlyStoppingOptions)]),
    "nnstate_trainer_create": (
        c_status,
        [ctypes.POINTER(_P), _P, ctypes.POINTER(TrainerOptions), ctypes.POINTER(SchedulerOptions),
         ctypes.POINTER(EarlyStoppingOptions)]),
    "nnstate_trainer_free": (None, [_P]),
    "nnstate_trainer_set_callbacks": (c_status, [_P, EPOCH_CALLBACK, BATCH_CALLBACK, _P]),
    "nnstate_trainer_fit": (c_status, [_P, _P, _P, c_int32_p]),
    "nnstate_trainer_request_stop": (c_status, [_P]),
    "nnstate_trainer_set_epochs": (c_status, [_P, ctypes.c_int64]),
    "nnstate_step_options_init": (c_status, [ctypes.POINTER(StepOptions)]),
    "nnstate_rollback_options_init": (c_status, [ctypes.POINTER(RollbackOptions)]),
    "nnstate_trainer_set_step_options": (c_status, [_P, ctypes.POINTER(StepOptions)]),
    "nnstate_trainer_set_rollback": (c_status, [_P, ctypes.POINTER(RollbackOptions)]),
    "nnstate_trainer_rollback_count": (c_status, [_P, c_size_p]),
    "nnstate_trainer_rollback_event": (
        c_status, [_P, ctypes.c_size_t, ctypes.POINTER(RollbackEvent)]),
    "nnstate_trainer_position": (c_status, [_P, c_int64_p, c_int64_p, c_int64_p]),
    "nnstate_trainer_history_count": (c_status, [_P, c_size_p]),
    "nnstate_trainer_history_row": (c_status, [_P, ctypes.c_size_t, ctypes.POINTER(EpochInfo)]),
    "nnstate_save_options_init": (c_status, [ctypes.POINTER(SaveOptions)]),
    "nnstate_network_save_safetensors": (
        c_status, [_P, ctypes.c_char_p, ctypes.POINTER(SaveOptions)]),
    "nnstate_network_load_safetensors": (
        c_status, [_P, ctypes.c_char_p, ctypes.c_int32, ctypes.POINTER(_P)]),
    "nnstate_partial_load_options_init": (c_status, [ctypes.POINTER(PartialLoadOptions)]),
    "nnstate_network_load_partial": (
        c_status, [_P, ctypes.c_char_p, ctypes.POINTER(PartialLoadOptions), ctypes.POINTER(_P)]),
    "nnstate_load_report_count": (c_status, [_P, ctypes.c_int32, c_size_p]),
    "nnstate_load_report_name": (
        c_status, [_P, ctypes.c_int32, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p)]),
    "nnstate_load_report_free": (None, [_P]),
    "nnstate_safetensors_metadata": (
        c_status, [ctypes.c_char_p, ctypes.c_char_p, _P, ctypes.c_size_t, c_size_p]),
    "nnstate_load_options_init": (c_status, [ctypes.POINTER(LoadOptions)]),
    "nnstate_checkpoint_save": (c_status, [_P, ctypes.c_char_p, ctypes.POINTER(SaveOptions)]),
    "nnstate_checkpoint_load": (
        c_status, [ctypes.POINTER(_P), ctypes.c_char_p, ctypes.POINTER(LoadOptions)]),
    "nnstate_checkpoint_load_into": (
        c_status, [_P, ctypes.c_char_p, ctypes.POINTER(LoadOptions)]),
    "nnstate_checkpoint_verify": (c_status, [ctypes.c_char_p]),
    "nnstate_checkpoint_open": (
        c_status, [ctypes.POINTER(_P), ctypes.c_char_p, ctypes.POINTER(LoadOptions)]),
    "nnstate_checkpoint_free": (None, [_P]),
    "nnstate_checkpoint_format": (
        c_status, [_P, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint32)]),
    "nnstate_checkpoint_writer_version": (c_status, [_P, ctypes.POINTER(ctypes.c_char_p)]),
    "nnstate_checkpoint_tensor_count": (c_status, [_P, c_size_p]),
    "nnstate_checkpoint_tensor_info": (
        c_status, [_P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p), c_int32_p, c_int32_p,
                   c_int32_p, c_int64_p]),
    "nnstate_checkpoint_read_tensor": (c_status, [_P, ctypes.c_char_p, _P, ctypes.c_size_t]),
    "nnstate_checkpoint_optimizer": (c_status, [_P, c_int32_p, c_int64_p]),
    "nnstate_checkpoint_metadata_count": (c_status, [_P, c_size_p]),
    "nnstate_checkpoint_metadata_at": (
        c_status, [_P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p),
                   ctypes.POINTER(ctypes.c_char_p)]),
    "nnstate_checkpoint_layer_count": (c_status, [_P, c_size_p]),
    "nnstate_checkpoint_layer_kind": (c_status, [_P, ctypes.c_size_t, c_int32_p]),
    "nnstate_checkpoint_loss": (c_status, [_P, c_int32_p]),
    "nnstate_checkpoint_optimizer_options": (c_status, [_P, ctypes.POINTER(OptimizerOptions)]),
    "nnstate_checkpoint_environment": (
        c_status, [_P, ctypes.POINTER(ctypes.c_char_p), c_int32_p]),
    "nnstate_checkpoint_trainer": (c_status, [_P, c_int32_p, c_int64_p, c_int64_p, c_int64_p]),
    "nnstate_checkpoint_history_count": (c_status, [_P, c_size_p]),
    "nnstate_checkpoint_history_row": (c_status, [_P, ctypes.c_size_t, ctypes.POINTER(EpochInfo)]),
    "nnstate_checkpoint_scheduler": (
        c_status, [_P, c_int32_p, c_int64_p, ctypes.POINTER(ctypes.c_double), c_int64_p,
                   c_int64_p]),
    "nnstate_checkpoint_early_stopping": (
        c_status, [_P, c_int32_p, ctypes.POINTER(ctypes.c_char_p),
                   ctypes.POINTER(ctypes.c_double), c_int64_p, c_int64_p, c_int64_p]),
    "nnstate_trainer_save": (c_status, [_P, ctypes.c_char_p, ctypes.POINTER(SaveOptions)]),
    "nnstate_trainer_resume": (c_status, [_P, ctypes.c_char_p]),
    "nnstate_checkpoint_policy_init": (c_status, [ctypes.POINTER(CheckpointPolicy)]),
    "nnstate_trainer_set_checkpointing": (c_status, [_P, ctypes.POINTER(CheckpointPolicy)]),
    "nnstate_trainer_resume_latest": (c_status, [_P, ctypes.c_char_p, c_int32_p]),
    "nnstate_trainer_warnings": (ctypes.c_char_p, [_P]),
    "nnstate_trainer_flush_saves": (c_status, [_P]),
    "nnstate_trainer_save_stats": (c_status, [_P, ctypes.POINTER(SaveStats)]),
}


def _candidates():
    explicit = os.environ.get("NNSTATE_LIBRARY")
    if explicit:
        yield explicit
        return
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        from ._installed_library import PATH_FROM_PACKAGE
    except ImportError:  # not installed by cmake (source tree, pip)
        PATH_FROM_PACKAGE = None
    if PATH_FROM_PACKAGE:
        path = os.path.normpath(os.path.join(here, PATH_FROM_PACKAGE))
        if os.path.exists(path):
            yield path
    for name in ("libnnstate.so.1", "libnnstate.so"):
        path = os.path.join(here, name)
        if os.path.exists(path):
            yield path
    yield "libnnstate.so.1"


def _load():
    errors = []
    for candidate in _candidates():
        try:
            lib = ctypes.CDLL(candidate)
            break
        except OSError as e:
            errors.append(f"{candidate}: {e}")
    else:
        raise ImportError("cannot load libnnstate: set NNSTATE_LIBRARY to the path of "
                          "libnnstate.so.1 (e.g. build/libnnstate.so.1), or install it "
                          "(cmake --install) where the system loader finds it; tried "
                          + "; ".join(errors))
    for name, (restype, argtypes) in _SIGNATURES.items():
        function = getattr(lib, name, None)
        if function is not None:  # functions of a newer header are simply absent
            function.restype = restype
            function.argtypes = argtypes
    return lib


lib = _load()
