"""Network: layers, loss, optimizer, training steps and tensors by name."""
import ctypes
import weakref

from ._buffers import FloatBuffer, output_array
from ._native import Conv2dOptions, OptimizerOptions, lib
from .errors import NnstateError, check

LOSSES = {"mse": 1, "cross_entropy": 2, "bce_with_logits": 3}
OPTIMIZERS = {"sgd": 1, "adam": 2, "adamw": 3}
ACTIVATIONS = {"relu": 2, "tanh": 4, "sigmoid": 5, "gelu": 6}
ROLES = {0: "parameter", 1: "buffer"}


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _pair(value, name):
    """An int or a pair of ints, as PyTorch's Conv2d/MaxPool2d take them, as (h, w)."""
    if _is_int(value):
        return value, value
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_is_int, value)):
        return value[0], value[1]
    raise NnstateError(-1, f"{name} must be an int or a pair of ints, got {value!r}")


def _dims(shape, name):
    """An int or a sequence of ints as a ctypes int64 array and its length."""
    dims = (shape,) if _is_int(shape) else tuple(shape)
    if not all(map(_is_int, dims)):
        raise NnstateError(-1, f"{name} must be an int or a sequence of ints, got {shape!r}")
    return (ctypes.c_int64 * max(len(dims), 1))(*dims), len(dims)


class Network:
    """A network with its loss, optimizer and random streams (libnnstate's nnstate_network).

    Use as a context manager or call close(); it is also freed when garbage-collected.
    """

    def __init__(self, seed=0, _handle=None):
        handle = ctypes.c_void_p(_handle)
        if _handle is None:
            check(lib.nnstate_network_create(ctypes.byref(handle), seed))
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.nnstate_network_free, handle)

    # ---- lifetime
    def close(self):
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def handle(self):
        if not self._finalizer.alive:
            raise NnstateError(-8, "the network is closed")
        return self._handle

    # ---- building
    def add_linear(self, in_features, out_features, bias=True):
        check(lib.nnstate_network_add_linear(self.handle, in_features, out_features, int(bias)))
        return self

    def add_activation(self, name):
        if name not in ACTIVATIONS:
            raise NnstateError(-1, f"unknown activation {name!r} (known: {sorted(ACTIVATIONS)})")
        check(lib.nnstate_network_add_activation(self.handle, ACTIVATIONS[name]))
        return self

    def add_relu(self):
        return self.add_activation("relu")

    def add_tanh(self):
        return self.add_activation("tanh")

    def add_sigmoid(self):
        return self.add_activation("sigmoid")

    def add_gelu(self, approximate="none"):
        check(lib.nnstate_network_add_gelu(self.handle, int(approximate == "tanh")))
        return self

    def add_leaky_relu(self, negative_slope=0.01):
        check(lib.nnstate_network_add_leaky_relu(self.handle, negative_slope))
        return self

    def set_input_shape(self, shape):
        """Shape of one input sample without the batch dimension, e.g. (1, 28, 28); needed
        before a first layer (such as Conv2d) whose input size its arguments do not imply."""
        dims, rank = _dims(shape, "shape")
        check(lib.nnstate_network_set_input_shape(self.handle, dims, rank))
        return self

    def add_conv2d(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                   dilation=1, groups=1, bias=True):
        """torch.nn.Conv2d (zero padding); sizes are ints or (h, w) pairs."""
        options = Conv2dOptions()
        check(lib.nnstate_conv2d_options_init(ctypes.byref(options), in_channels, out_channels,
                                              1))
        options.kernel_h, options.kernel_w = _pair(kernel_size, "kernel_size")
        options.stride_h, options.stride_w = _pair(stride, "stride")
        options.padding_h, options.padding_w = _pair(padding, "padding")
        options.dilation_h, options.dilation_w = _pair(dilation, "dilation")
        options.groups = groups
        options.bias = int(bool(bias))
        check(lib.nnstate_network_add_conv2d(self.handle, ctypes.byref(options)))
        return self

    def add_max_pool2d(self, kernel_size, stride=None, padding=0):
        """torch.nn.MaxPool2d; stride None (the default) means kernel_size."""
        kernel = _pair(kernel_size, "kernel_size")
        if stride is None:
            strides = (0, 0)  # the C API's "same as the kernel"
        else:
            strides = _pair(stride, "stride")
            if min(strides) <= 0:  # 0 would silently mean the kernel size in C
                raise NnstateError(-1, f"stride must be positive, got {stride!r}")
        pads = _pair(padding, "padding")
        check(lib.nnstate_network_add_max_pool2d(self.handle, *kernel, *strides, *pads))
        return self

    def add_flatten(self):
        """torch.nn.Flatten(): every sample becomes a vector."""
        check(lib.nnstate_network_add_flatten(self.handle))
        return self

    def _add_batch_norm(self, dims, num_features, eps, momentum, affine, track_running_stats):
        check(lib.nnstate_network_add_batch_norm(self.handle, dims, num_features, eps, momentum,
                                                 int(bool(affine)),
                                                 int(bool(track_running_stats))))
        return self

    def add_batch_norm1d(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                         track_running_stats=True):
        """torch.nn.BatchNorm1d on [N, C] or [N, C, L]."""
        return self._add_batch_norm(1, num_features, eps, momentum, affine, track_running_stats)

    def add_batch_norm2d(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                         track_running_stats=True):
        """torch.nn.BatchNorm2d on [N, C, H, W]."""
        return self._add_batch_norm(2, num_features, eps, momentum, affine, track_running_stats)

    def add_dropout(self, p=0.5):
        """torch.nn.Dropout (inverted), active in training only; p in [0, 1)."""
        check(lib.nnstate_network_add_dropout(self.handle, p))
        return self

    def add_layer_norm(self, normalized_shape, eps=1e-5, elementwise_affine=True):
        """torch.nn.LayerNorm over the trailing dims given by normalized_shape (int or ints)."""
        dims, rank = _dims(normalized_shape, "normalized_shape")
        check(lib.nnstate_network_add_layer_norm(self.handle, dims, rank, eps,
                                                 int(bool(elementwise_affine))))
        return self

    # ---- train/eval mode of predict() and evaluate() (train_step always trains)
    def train(self, mode=True):
        """Like torch's module.train(): predict/evaluate use batch statistics (and update
        BatchNorm's running ones) and dropout. Returns self."""
        check(lib.nnstate_network_set_training_mode(self.handle, int(bool(mode))))
        return self

    def eval(self):
        """Like torch's module.eval() (the default): running statistics, no dropout."""
        return self.train(False)

    @property
    def training(self):
        out = ctypes.c_int32()
        check(lib.nnstate_network_get_training_mode(self.handle, ctypes.byref(out)))
        return bool(out.value)

    def set_loss(self, name):
        if name not in LOSSES:
            raise NnstateError(-1, f"unknown loss {name!r} (known: {sorted(LOSSES)})")
        check(lib.nnstate_network_set_loss(self.handle, LOSSES[name]))
        return self

    def set_optimizer(self, name, **hyper_parameters):
        """PyTorch's names and defaults: lr, betas=(b1, b2), eps, weight_decay, amsgrad,
        maximize, momentum, dampening, nesterov."""
        if name not in OPTIMIZERS:
            raise NnstateError(-1, f"unknown optimizer {name!r} (known: {sorted(OPTIMIZERS)})")
        options = OptimizerOptions()
        check(lib.nnstate_optimizer_options_init(ctypes.byref(options), OPTIMIZERS[name]))
        for key, value in hyper_parameters.items():
            if key == "betas":
                options.beta1, options.beta2 = value
            elif key in ("amsgrad", "maximize", "nesterov"):
                setattr(options, key, int(bool(value)))
            elif key in ("lr", "eps", "weight_decay", "momentum", "dampening"):
                setattr(options, key, float(value))
            else:
                raise NnstateError(-1, f"unknown optimizer option {key!r}")
        check(lib.nnstate_network_set_optimizer(self.handle, ctypes.byref(options)))
        return self

    # ---- queries
    def _size(self, function):
        out = ctypes.c_size_t()
        check(function(self.handle, ctypes.byref(out)))
        return out.value

    @property
    def input_size(self):
        return self._size(lib.nnstate_network_input_size)

    @property
    def output_size(self):
        return self._size(lib.nnstate_network_output_size)

    @property
    def layer_count(self):
        return self._size(lib.nnstate_network_layer_count)

    @property
    def parameter_count(self):
        out = ctypes.c_uint64()
        check(lib.nnstate_network_parameter_count(self.handle, ctypes.byref(out)))
        return out.value

    @property
    def lr(self):
        out = ctypes.c_double()
        check(lib.nnstate_network_get_lr(self.handle, ctypes.byref(out)))
        return out.value

    @lr.setter
    def lr(self, value):
        check(lib.nnstate_network_set_lr(self.handle, value))

    def tensors(self):
        """{name: (shape tuple, role)} in state_dict order."""
        result = {}
        for index in range(self._size(lib.nnstate_network_tensor_count)):
            name = ctypes.c_char_p()
            role, rank = ctypes.c_int32(), ctypes.c_int32()
            dims = (ctypes.c_int64 * 4)()
            check(lib.nnstate_network_tensor_info(self.handle, index, ctypes.byref(name),
                                                  ctypes.byref(role), ctypes.byref(rank), dims))
            result[name.value.decode()] = (tuple(dims[: rank.value]), ROLES[role.value])
        return result

    def get_tensor(self, name):
        """The tensor's values as a flat float32 array (numpy when available)."""
        info = self.tensors().get(name)
        if info is None:
            raise NnstateError(-7, f"the network has no tensor named {name!r}")
        shape = info[0]
        count = 1
        for d in shape:
            count *= d
        out, pointer = output_array(count)
        check(lib.nnstate_network_get_tensor(self.handle, name.encode(), pointer, count))
        if hasattr(out, "reshape"):
            out = out.reshape(shape)
        return out

    def set_tensor(self, name, values):
        buffer = FloatBuffer(values)
        check(lib.nnstate_network_set_tensor(self.handle, name.encode(), buffer.pointer,
                                             buffer.count))

    # ---- training and inference
    def _batch(self, inputs, batch_size):
        buffer = FloatBuffer(inputs)
        if batch_size is None:
            batch_size = buffer.rows if buffer.rows is not None else (
                buffer.count // max(self.input_size, 1))
        return buffer, batch_size

    def train_step(self, inputs, targets, batch_size=None):
        """One optimisation step; returns the mean loss before the update."""
        x, batch = self._batch(inputs, batch_size)
        y = FloatBuffer(targets)
        loss = ctypes.c_float()
        check(lib.nnstate_network_train_step(self.handle, x.pointer, x.count, y.pointer, y.count,
                                             batch, ctypes.byref(loss)))
        return loss.value

    def evaluate(self, inputs, targets, batch_size=None):
        """Mean loss in inference mode."""
        x, batch = self._batch(inputs, batch_size)
        y = FloatBuffer(targets)
        loss = ctypes.c_float()
        check(lib.nnstate_network_evaluate(self.handle, x.pointer, x.count, y.pointer, y.count,
                                           batch, ctypes.byref(loss)))
        return loss.value

    def predict(self, inputs, batch_size=None):
        """Outputs for a batch: a (batch, output_size) numpy array, or a flat array('f')."""
        x, batch = self._batch(inputs, batch_size)
        count = batch * self.output_size
        out, pointer = output_array(count)
        check(lib.nnstate_network_predict(self.handle, x.pointer, x.count, batch, pointer, count))
        if hasattr(out, "reshape"):
            out = out.reshape(batch, self.output_size)
        return out
