"""Network: layers, loss, optimizer, training steps and tensors by name."""
import collections
import ctypes
import json

from ._buffers import (FloatBuffer, check_rows, numpy, output_array, sample_rows,
                       target_rows)
from ._handles import Owned, own
from ._native import Conv2dOptions, OptimizerOptions, ParamGroupInfo, ParamGroupOptions, lib
from .errors import NnstateError, check

LOSSES = {"mse": 1, "cross_entropy": 2, "bce_with_logits": 3}
LOSS_NAMES = {v: k for k, v in LOSSES.items()}
OPTIMIZERS = {"sgd": 1, "adam": 2, "adamw": 3}
OPTIMIZER_NAMES = {v: k for k, v in OPTIMIZERS.items()}
ACTIVATIONS = {"relu": 2, "tanh": 4, "sigmoid": 5, "gelu": 6}
ROLES = {0: "parameter", 1: "buffer"}
# NNSTATE_LAYER_* -> the PyTorch class name.
LAYER_NAMES = {1: "Linear", 2: "ReLU", 3: "LeakyReLU", 4: "Tanh", 5: "Sigmoid", 6: "GELU",
               7: "Conv2d", 8: "MaxPool2d", 9: "Flatten", 10: "BatchNorm1d",
               11: "BatchNorm2d", 12: "Dropout", 13: "LayerNorm", 14: "AvgPool2d",
               15: "AdaptiveAvgPool2d", 16: "Identity", 17: "Softmax", 18: "LogSoftmax",
               19: "Embedding", 20: "Dropout2d", 21: "Add", 22: "Concat", 23: "Multiply"}

# One layer as Checkpoint.layers() gives it: its kind and the shape of one output sample (None
# when the stored tensors do not tell it).
Layer = collections.namedtuple("Layer", "kind output_shape")


def _product(shape):
    result = 1
    for d in shape:
        result *= d
    return result


def _text(call):
    """The text of a C function with nnstate_network_node_json's buffer convention: asked for
    its size first (NULL buffer), then written into a buffer of that size."""
    size = ctypes.c_size_t()
    status = call(None, 0, ctypes.byref(size))
    if status != -2:  # anything but "the buffer is too small"
        check(status)
    buffer = ctypes.create_string_buffer(size.value)
    check(call(buffer, size.value, ctypes.byref(size)))
    return buffer.value.decode()


class Node:
    """A node of a Network as Network.add returns it; later nodes take it as an input, as
    tensors of Keras' functional API do. It holds no native pointer: its queries go through
    its network and fail as the network's own calls do once that is closed."""

    __slots__ = ("_network", "index", "name", "kind")

    def __init__(self, network, index, name, kind):
        self._network, self.index, self.name, self.kind = network, index, name, kind

    @property
    def key(self):
        """The prefix of its tensors' names: its name, or its index when unnamed."""
        return self.name if self.name else str(self.index)

    def _info(self):
        if self.index < 0:
            raise NnstateError(-1, "the network input is not a node")
        return self._network._node_info(self.index)

    @property
    def output_shape(self):
        """Shape of one output sample, without the batch dimension (None while unknown)."""
        return self._info()[2]

    @property
    def parameter_count(self):
        return self._info()[3]

    @property
    def trainable(self):
        """False when every parameter of the node is frozen (Keras' layer.trainable); setting
        it freezes or unfreezes them (a node without parameters refuses, NOT_FOUND)."""
        prefix = self.key + "."
        names = [n for n, (_, role) in self._network.tensors().items()
                 if n.startswith(prefix) and role == "parameter"]
        frozen = set(self._network.frozen)
        return not names or any(n not in frozen for n in names)

    @trainable.setter
    def trainable(self, value):
        if value:
            self._network.unfreeze(self.key)
        else:
            self._network.freeze(self.key)

    @property
    def config(self):
        """Its description: {"kind", "name" (when named), "inputs", every argument}."""
        if self.index < 0:
            raise NnstateError(-1, "the network input is not a node")
        return self._network._node_config(self.index)

    def __repr__(self):
        if self.index < 0:
            return "<nnstate.Node: the network input>"
        name = f" {self.name!r}" if self.name else ""
        return f"<nnstate.Node {self.index}{name} ({self.kind})>"


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


class Network(Owned):
    """A network with its loss, optimizer and random streams (libnnstate's nnstate_network).

    Use as a context manager or call close(); it is also freed when garbage-collected.
    Closing a network also closes the trainers built on it (their methods then raise
    NnstateError with status STATE); a network cannot be closed while a trainer's fit runs.
    """

    def __init__(self, seed=0, _handle=None, _loss=None, _optimizer=None):
        handle = ctypes.c_void_p(_handle)
        if _handle is None:
            check(lib.nnstate_network_create(ctypes.byref(handle), seed))
        own(self, handle, lib.nnstate_network_free, "network")
        self._loss_name, self._optimizer_name = _loss, _optimizer

    # ---- lifetime
    @property
    def handle(self):
        return self._native.get()

    @property
    def closed(self):
        return not self._native.alive

    def __repr__(self):
        try:
            try:
                sizes = f"{self.input_size} -> {self.output_size}"
            except NnstateError as e:
                if e.status_name != "STATE" or self.closed:
                    raise
                sizes = "no input size yet"
            return (f"<nnstate.Network: {self.layer_count} layers, {sizes}, "
                    f"{self.parameter_count:,} parameters, loss {self._loss_name}, "
                    f"optimizer {self._optimizer_name}>")
        except NnstateError as e:  # closed, or in use by a running fit
            return f"<nnstate.Network ({e.message})>"

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

    # ---- graphs: nodes of any kind, and whole networks as JSON documents
    @classmethod
    def from_json(cls, document, seed=0):
        """The network a JSON document describes, {"input_shape": [...], "nodes": [...]} (a str,
        or a dict as json.loads gives it), initialised from `seed` (see
        nnstate_network_create_from_json); to_json() writes one. Refusals raise NnstateError
        naming the node and the field."""
        text = document if isinstance(document, str) else _dumps(document, "document")
        handle = ctypes.c_void_p()
        check(lib.nnstate_network_create_from_json(ctypes.byref(handle), text.encode(), seed))
        return cls(_handle=handle.value)

    def to_json(self):
        """The network's JSON document (a str), which from_json rebuilds."""
        handle = self.handle
        return _text(lambda buffer, capacity, size:
                     lib.nnstate_network_to_json(handle, buffer, capacity, size))

    @property
    def input(self):
        """The network input, as a node that add(..., inputs=...) takes."""
        return Node(self, -1, None, "Input")

    def add(self, kind, inputs=None, name=None, **arguments):
        """Appends a node of any kind and returns it as a Node, which later nodes take as an
        input, as in Keras' functional API:

            x = net.add("Conv2d", in_channels=1, out_channels=8, kernel_size=3, name="conv1")
            y = net.add("Conv2d", inputs=net.input, in_channels=1, out_channels=8,
                        kernel_size=1, name="shortcut")
            z = net.add("Add", inputs=[x, y])

        `kind` is PyTorch's class name, or a whole node description (a dict with "kind", as
        Node.config gives it). `arguments` are the class's constructor arguments with
        PyTorch's names and defaults (tuples for pairs; None for PyTorch's None). `inputs` is
        a node, a node name or index (-1: the network input), or a list of them (two or more
        for Add, Concat, Multiply); by default the previous node. `name` is the module name
        ("layer1.0.conv1"), which prefixes its tensors' names. trainable=False freezes its
        parameters (Keras' trainable=False; see freeze)."""
        trainable = arguments.pop("trainable", True)
        if isinstance(kind, dict):
            node = dict(kind)
        elif isinstance(kind, str):
            node = {"kind": kind}
        else:
            raise NnstateError(-1, f"kind must be a layer class name or a node description, "
                                   f"got {kind!r}")
        given = {"inputs": inputs, "name": name, **arguments}
        for key, value in given.items():
            if key in ("inputs", "name") and value is None:
                continue
            if key in node:
                raise NnstateError(-1, f"{key!r} is given twice (in the description and as an "
                                       f"argument)")
            node[key] = value
        if "inputs" in node:
            node["inputs"] = self._input_references(node["inputs"])
        index = ctypes.c_int64(-1)
        check(lib.nnstate_network_add_node(self.handle, _dumps(node, "node").encode(),
                                           ctypes.byref(index)))
        added = Node(self, index.value, node.get("name") or None, node.get("kind"))
        if not trainable:
            added.trainable = False
        return added

    def _input_references(self, inputs):
        """Nodes, names and indices as the description's "inputs" list."""
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        references = []
        for item in items:
            if isinstance(item, Node):
                if item._network is not self:
                    raise NnstateError(-1, f"{item!r} is a node of another network")
                references.append(item.name if item.name else item.index)
            elif _is_int(item) or isinstance(item, str):
                references.append(item)
            else:
                raise NnstateError(-1, "inputs must be nodes, node names or indices, got "
                                       f"{item!r}")
        return references

    @property
    def nodes(self):
        """Every node, in order, as Node objects (what add returned)."""
        result = []
        for index in range(self.layer_count):
            config = self._node_config(index)
            result.append(Node(self, index, config.get("name"), config["kind"]))
        return result

    def _node_config(self, index):
        handle = self.handle
        return json.loads(_text(lambda buffer, capacity, size: lib.nnstate_network_node_json(
            handle, index, buffer, capacity, size)))

    def _node_info(self, index):
        """(kind, input count, output shape or None while unknown, parameter count)."""
        kind, inputs, rank = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int32()
        dims, parameters = (ctypes.c_int64 * 4)(), ctypes.c_uint64()
        check(lib.nnstate_network_node_info(self.handle, index, ctypes.byref(kind),
                                            ctypes.byref(inputs), None, None,
                                            ctypes.byref(parameters)))
        status = lib.nnstate_network_node_info(self.handle, index, None, None,
                                               ctypes.byref(rank), dims, None)
        if status != -8:  # STATE: the input shape is not known yet
            check(status)
        shape = tuple(dims[:rank.value]) if status == 0 else None
        return LAYER_NAMES.get(kind.value, "?"), inputs.value, shape, parameters.value

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
        self._loss_name = name
        return self

    def set_optimizer(self, name, param_groups=None, **hyper_parameters):
        """PyTorch's names and defaults: lr, betas=(b1, b2), eps, weight_decay, amsgrad,
        maximize, momentum, dampening, nesterov. param_groups is torch's list of dicts, with
        name patterns for "params" (a tensor or module name, or a list of them):
        [{"params": "backbone.", "lr": 1e-4}, {"params": "fc.", "lr": 1e-3}]; each may give
        lr, betas, eps and weight_decay, the rest are the options above, which are also those of
        the parameters no group selects (the default group)."""
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
        if param_groups is None:
            check(lib.nnstate_network_set_optimizer(self.handle, ctypes.byref(options)))
        else:
            groups, keep = _param_group_options(param_groups)
            check(lib.nnstate_network_set_optimizer_groups(
                self.handle, ctypes.byref(options), groups, len(param_groups)))
            del keep
        self._optimizer_name = name
        return self

    # ---- frozen parameters and parameter groups
    def _set_requires_grad(self, patterns, requires_grad):
        for pattern in [patterns] if isinstance(patterns, str) else patterns:
            check(lib.nnstate_network_set_requires_grad(self.handle, pattern.encode(),
                                                        int(requires_grad)))
        return self

    def freeze(self, patterns, batchnorm_eval=None):
        """Freezes (requires_grad=False) the parameters a tensor or module name selects
        ("features." or "features", "fc.weight"), or each of a list: no update, no optimizer
        state. batchnorm_eval=True also keeps BatchNorm layers whose parameters are all frozen
        in eval mode while training (running statistics used, not updated)."""
        self._set_requires_grad(patterns, False)
        if batchnorm_eval is not None:
            self.frozen_batchnorm_eval = batchnorm_eval
        return self

    def unfreeze(self, patterns):
        """Trains the selected parameters again; their optimizer state starts fresh."""
        return self._set_requires_grad(patterns, True)

    @property
    def frozen(self):
        """The frozen parameters' names, sorted."""
        names = []
        for i in range(self._size(lib.nnstate_network_frozen_count)):
            out = ctypes.c_char_p()
            check(lib.nnstate_network_frozen_name(self.handle, i, ctypes.byref(out)))
            names.append(out.value.decode())
        return names

    @property
    def frozen_batchnorm_eval(self):
        """Whether BatchNorm layers whose parameters are all frozen run in eval mode."""
        out = ctypes.c_int32()
        check(lib.nnstate_network_get_frozen_batchnorm_eval(self.handle, ctypes.byref(out)))
        return bool(out.value)

    @frozen_batchnorm_eval.setter
    def frozen_batchnorm_eval(self, value):
        check(lib.nnstate_network_set_frozen_batchnorm_eval(self.handle, int(bool(value))))

    def set_deterministic(self, chunk_size, threads=0):
        """The deterministic-across-scale mode: every pass cuts the batch into chunks of
        chunk_size samples, runs them on `threads` library threads (0: OpenBLAS's count) with
        single-threaded BLAS and adds their results in one fixed order, so any thread count
        gives the same bits. chunk_size=0 turns it off. Set it after the layers."""
        check(lib.nnstate_network_set_deterministic(self.handle, int(chunk_size), int(threads)))
        return self

    @property
    def deterministic(self):
        """(chunk_size, threads) of the deterministic mode, or None when it is off."""
        chunk, threads = ctypes.c_int64(), ctypes.c_int32()
        check(lib.nnstate_network_deterministic(self.handle, ctypes.byref(chunk),
                                                ctypes.byref(threads)))
        return (chunk.value, threads.value) if chunk.value > 0 else None

    @property
    def param_groups(self):
        """The optimizer's groups as torch's param_groups dicts (with name patterns for
        "params" and the number of trainable parameters in each); the default group (the
        parameters no group selects) first."""
        groups = []
        for g in range(self._size(lib.nnstate_network_param_group_count)):
            info = ParamGroupInfo()
            info.struct_size = ctypes.sizeof(info)
            check(lib.nnstate_network_param_group(self.handle, g, ctypes.byref(info)))
            patterns = []
            for k in range(info.pattern_count):
                out = ctypes.c_char_p()
                check(lib.nnstate_network_param_group_pattern(self.handle, g, k,
                                                              ctypes.byref(out)))
                patterns.append(out.value.decode())
            groups.append({"params": patterns, "lr": info.lr, "betas": (info.beta1, info.beta2),
                           "eps": info.eps, "weight_decay": info.weight_decay,
                           "parameter_count": info.parameter_count})
        return groups

    def set_group_lr(self, group, lr):
        """Sets param_groups[group]'s rate (group 0: the default group, as net.lr)."""
        check(lib.nnstate_network_set_group_lr(self.handle, group, lr))

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

    # ---- PyTorch-style weights (state_dict.py): safetensors, state dicts, partial loads
    def save_safetensors(self, path, metadata=None, fsync=True):
        """Writes parameters and buffers as .safetensors with PyTorch's names."""
        from . import state_dict
        state_dict.save_safetensors(self, path, metadata, fsync)

    def load_safetensors(self, path, strict=True):
        """Loads a .safetensors file by name; returns (missing_keys, unexpected_keys)."""
        from . import state_dict
        return state_dict.load_safetensors(self, path, strict)

    def state_dict(self):
        """An OrderedDict of float32 numpy arrays with PyTorch's names and layouts."""
        from . import state_dict
        return state_dict.state_dict(self)

    def load_state_dict(self, state, strict=True):
        """As torch.nn.Module.load_state_dict; returns (missing_keys, unexpected_keys)."""
        from . import state_dict
        return state_dict.load_state_dict(self, state, strict)

    def load_partial(self, path, rename=None, skip=(), strict=False):
        """Loads the matching tensors of a checkpoint or .safetensors file, renaming prefixes
        and skipping fnmatch patterns; returns what was loaded, skipped and not matched."""
        from . import state_dict
        return state_dict.load_partial(self, path, rename, skip, strict)

    # ---- training and inference (x: one row per sample, as Keras; see sample_rows)
    def _inputs(self, inputs):
        x = FloatBuffer(inputs)
        return x, sample_rows(x, self.input_size)

    def _inputs_and_targets(self, inputs, targets):
        x, rows = self._inputs(inputs)
        y = FloatBuffer(targets)
        check_rows(rows, target_rows(y, rows, x.rows is None))
        return x, y, rows

    def train_step(self, inputs, targets):
        """One optimisation step on one batch (all rows of inputs); returns the mean loss
        before the update."""
        x, y, rows = self._inputs_and_targets(inputs, targets)
        loss = ctypes.c_float()
        check(lib.nnstate_network_train_step(self.handle, x.pointer, x.count, y.pointer, y.count,
                                             rows, ctypes.byref(loss)))
        return loss.value

    def evaluate(self, inputs, targets, batch_size=32, return_dict=False):
        """Loss and metrics in inference mode (as Keras' evaluate and the trainer's validation:
        BatchNorm's running statistics, no dropout, whatever train() set), in batches of
        batch_size: the mean loss (a float) for MSE; [loss, accuracy] for
        cross_entropy and bce_with_logits (accuracy as the trainer's: arg-max equals the class
        index; logit > 0 equals target > 0.5). return_dict=True gives {"loss": ..,
        "accuracy": ..} instead."""
        x, y, rows = self._inputs_and_targets(inputs, targets)
        if not _is_int(batch_size) or batch_size < 1:
            raise NnstateError(-1, f"batch_size must be a positive int, got {batch_size!r}")
        with_accuracy = self._loss_name in ("cross_entropy", "bce_with_logits")
        training = self.training
        if training:
            self.eval()
        try:
            loss_sum, correct, judged = self._evaluate_batches(x, y, rows, batch_size,
                                                               with_accuracy)
        finally:
            if training:
                self.train()
        results = {"loss": loss_sum / rows if rows else float("nan")}
        if with_accuracy:
            results["accuracy"] = correct / judged if judged else float("nan")
        if return_dict:
            return results
        return list(results.values()) if with_accuracy else results["loss"]

    def _evaluate_batches(self, x, y, rows, batch_size, with_accuracy):
        per_x, per_y = x.count // max(rows, 1), y.count // max(rows, 1)
        loss_sum, correct, judged = 0.0, 0, 0
        for start in range(0, rows, batch_size):
            count = min(batch_size, rows - start)
            xp = ctypes.c_void_p(x.pointer.value + 4 * start * per_x)
            yp = ctypes.c_void_p(y.pointer.value + 4 * start * per_y)
            loss = ctypes.c_float()
            check(lib.nnstate_network_evaluate(self.handle, xp, count * per_x, yp,
                                               count * per_y, count, ctypes.byref(loss)))
            loss_sum += loss.value * count
            if with_accuracy:
                c, j = self._count_correct(xp, count, per_x, yp, count * per_y)
                correct, judged = correct + c, judged + j
        return loss_sum, correct, judged

    def _count_correct(self, xp, count, per_x, yp, y_count):
        """(correct, judged) for one batch, judged as the C trainer's accuracy."""
        outputs = self._predict_rows(xp, count * per_x, count)
        labels = (ctypes.c_float * y_count).from_address(yp.value)
        if numpy is not None:
            outputs = outputs.reshape(count, -1)
            labels = numpy.frombuffer(labels, dtype=numpy.float32).reshape(count, -1)
            if self._loss_name == "cross_entropy":
                return int((outputs.argmax(axis=1) == labels[:, 0]).sum()), count
            return int(((outputs > 0) == (labels > 0.5)).sum()), outputs.size
        if self._loss_name == "cross_entropy":
            classes, right = self.output_size, 0
            for r in range(count):
                row = list(outputs[r * classes:(r + 1) * classes])
                right += float(row.index(max(row))) == labels[r]
            return right, count
        right = sum((o > 0.0) == (t > 0.5) for o, t in zip(outputs, labels))
        return right, len(outputs)

    def _predict_rows(self, pointer, count, rows):
        size = rows * self.output_size
        out, out_pointer = output_array(size)
        check(lib.nnstate_network_predict(self.handle, pointer, count, rows, out_pointer, size))
        return out

    def predict(self, inputs, batch_size=None):
        """Outputs for the rows of inputs: a (rows, output_size) numpy array, or a flat
        array('f') of rows * output_size values without numpy. batch_size None runs all rows
        as one batch (what BatchNorm in training mode sees); an int splits them like Keras."""
        x, rows = self._inputs(inputs)
        if batch_size is None or batch_size >= rows:
            out = self._predict_rows(x.pointer, x.count, rows)
        else:
            per_x = x.count // rows
            parts = [self._predict_rows(ctypes.c_void_p(x.pointer.value + 4 * s * per_x),
                                        min(batch_size, rows - s) * per_x,
                                        min(batch_size, rows - s))
                     for s in range(0, rows, batch_size)]
            out = parts[0]
            for part in parts[1:]:
                out = numpy.concatenate((out, part)) if hasattr(out, "reshape") else out + part
        if hasattr(out, "reshape"):
            out = out.reshape(rows, self.output_size)
        return out

    # ---- description
    def summary(self, print_fn=print):
        """Prints (with print_fn) and returns a table of the nodes, as Keras' summary: each
        node's name (its index when unnamed) and kind, the output shape of one sample and the
        parameter count (and, for a graph, the nodes it takes), then the totals."""
        buffers = sum(_product(shape) for shape, role in self.tensors().values()
                      if role != "parameter")
        header = ("Layer (type)", "Output shape", "Param #", "Connected to")
        rows, graph = [], False
        for index in range(self.layer_count):
            config = self._node_config(index)
            kind, _, shape, parameters = self._node_info(index)
            inputs = config.get("inputs", [index - 1])
            graph |= inputs != [index - 1]
            rows.append((f"{config.get('name', index)} ({kind})",
                         "?" if shape is None else str(shape), f"{parameters:,}",
                         ", ".join("input" if i == -1 else str(i) for i in inputs)))
        columns = 4 if graph else 3
        table = [header[:columns]] + [r[:columns] for r in rows]
        widths = [max(len(r[i]) for r in table) for i in range(columns)]
        rule = "-" * (sum(widths) + 2 * (columns - 1))
        lines = [f"Network: loss {self._loss_name}, optimizer {self._optimizer_name}", rule]
        for i, r in enumerate(table):
            cells = [f"{r[0]:<{widths[0]}}", f"{r[1]:<{widths[1]}}", f"{r[2]:>{widths[2]}}"]
            if graph:
                cells.append(r[3])
            lines.append("  ".join(cells).rstrip())
            if i == 0:
                lines.append(rule)
        lines += [rule, f"Total params: {self.parameter_count:,}",
                  f"Non-trainable buffers: {buffers:,} values"]
        text = "\n".join(lines)
        if print_fn is not None:
            print_fn(text)
        return text


def _param_group_options(param_groups):
    """torch-style group dicts as an array of nnstate_param_group_options (and what must stay
    alive while it is used)."""
    array = (ParamGroupOptions * len(param_groups))()
    keep = []
    for g, group in enumerate(param_groups):
        options = array[g]
        check(lib.nnstate_param_group_options_init(ctypes.byref(options)))
        if not isinstance(group, dict) or "params" not in group:
            raise NnstateError(-1, f"param group {g} must be a dict with \"params\", got "
                                   f"{group!r}")
        patterns = group["params"]
        patterns = [patterns] if isinstance(patterns, str) else list(patterns)
        encoded = (ctypes.c_char_p * len(patterns))(*[p.encode() for p in patterns])
        keep.append(encoded)
        options.patterns = ctypes.cast(encoded, ctypes.POINTER(ctypes.c_char_p))
        options.pattern_count = len(patterns)
        for key, value in group.items():
            if key == "params":
                continue
            if key == "betas":
                options.beta1, options.beta2 = value
            elif key in ("lr", "eps", "weight_decay"):
                setattr(options, key, float(value))
            else:
                raise NnstateError(-1, f"param group {g}: unknown option {key!r} (lr, betas, "
                                       f"eps, weight_decay)")
    return array, keep


def _dumps(value, what):
    """JSON text of a description; tuples become lists, NaN is refused as JSON has none."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise NnstateError(-1, f"the {what} cannot be written as JSON: {e}") from None
