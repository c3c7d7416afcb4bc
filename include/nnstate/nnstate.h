/*
 * libnnstate: train neural networks from C and never lose their training state.
 *
 * Conventions (apply to every function below unless its comment says otherwise):
 * - Fallible functions return an nnstate_status: NNSTATE_OK (0) or a negative error code.
 *   On error, nnstate_last_error() describes what went wrong, naming the values involved.
 * - Objects are opaque handles created by nnstate_<object>_create(&out, ...) and released by
 *   nnstate_<object>_free(), which accepts NULL. On error *out is set to NULL.
 * - Pointers passed in are borrowed for the duration of the call only; nothing is retained.
 *   Strings returned as const char * are owned by the library (lifetime stated per function).
 * - Arrays are passed with their element count; a count that does not match the shape the
 *   call needs is an NNSTATE_ERR_SHAPE_MISMATCH with both sizes in the message.
 * - Threading: a handle may be used by one thread at a time; distinct handles are independent
 *   and may be used concurrently. nnstate_last_error() is per thread.
 * - Options structs begin with struct_size; initialise them with their _init function, which
 *   sets struct_size and the defaults, then change the fields you need.
 * - No function aborts or lets an exception escape on bad input.
 *
 * This header is plain C99 and needs only <stdint.h> and <stddef.h>.
 */
#ifndef NNSTATE_NNSTATE_H
#define NNSTATE_NNSTATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define NNSTATE_API __attribute__((visibility("default")))
#else
#define NNSTATE_API
#endif

/* ---- Versions ---------------------------------------------------------------------------- */

#define NNSTATE_VERSION_MAJOR 0
#define NNSTATE_VERSION_MINOR 1
#define NNSTATE_VERSION_PATCH 0
/* The ABI version, equal to the shared library's SOVERSION (libnnstate.so.1). */
#define NNSTATE_ABI_VERSION 1
/* These four numbers are the only place the version is written: CMakeLists.txt reads them. */

#define NNSTATE_VERSION_STRINGIFY_(a, b, c) #a "." #b "." #c
#define NNSTATE_VERSION_STRINGIFY(a, b, c) NNSTATE_VERSION_STRINGIFY_(a, b, c)
/* The version this header belongs to, e.g. "0.1.0". */
#define NNSTATE_VERSION_STRING \
  NNSTATE_VERSION_STRINGIFY(NNSTATE_VERSION_MAJOR, NNSTATE_VERSION_MINOR, NNSTATE_VERSION_PATCH)

/* The version of the library actually loaded, e.g. "0.1.0". Static string, never NULL. */
NNSTATE_API const char *nnstate_version_string(void);
/* The loaded library's ABI version (its SOVERSION). */
NNSTATE_API int32_t nnstate_abi_version(void);

/* ---- Status and errors ------------------------------------------------------------------- */

/* Status codes. Numbers are fixed forever; new codes are only appended. */
typedef int32_t nnstate_status;
#define NNSTATE_OK 0
#define NNSTATE_ERR_INVALID_ARGUMENT (-1) /* NULL pointer, bad option value, unknown enum */
#define NNSTATE_ERR_SHAPE_MISMATCH (-2)   /* array length or tensor shape does not fit */
#define NNSTATE_ERR_OUT_OF_MEMORY (-3)
#define NNSTATE_ERR_IO (-4)        /* a file could not be read or written */
#define NNSTATE_ERR_CORRUPT (-5)   /* a checkpoint failed validation */
#define NNSTATE_ERR_VERSION (-6)   /* unsupported format or options struct version */
#define NNSTATE_ERR_NOT_FOUND (-7) /* no tensor / key / file of that name */
#define NNSTATE_ERR_STATE (-8)     /* call not valid now (e.g. no optimizer set) */
#define NNSTATE_ERR_INTERNAL (-9)  /* a bug in libnnstate: please report it */

/* A short static description of a status code ("invalid argument"); never NULL. */
NNSTATE_API const char *nnstate_status_string(nnstate_status status);
/* The message of the last error on the calling thread, or "" if none. Owned by the library,
 * valid until the next libnnstate call on this thread. Never NULL. */
NNSTATE_API const char *nnstate_last_error(void);

/* ---- Enumerations (values fixed forever; passed as int32_t) ------------------------------ */

#define NNSTATE_LAYER_LINEAR 1
#define NNSTATE_LAYER_RELU 2
#define NNSTATE_LAYER_LEAKY_RELU 3
#define NNSTATE_LAYER_TANH 4
#define NNSTATE_LAYER_SIGMOID 5
#define NNSTATE_LAYER_GELU 6
#define NNSTATE_LAYER_CONV2D 7
#define NNSTATE_LAYER_MAX_POOL2D 8
#define NNSTATE_LAYER_FLATTEN 9
#define NNSTATE_LAYER_BATCH_NORM1D 10
#define NNSTATE_LAYER_BATCH_NORM2D 11
#define NNSTATE_LAYER_DROPOUT 12
#define NNSTATE_LAYER_LAYER_NORM 13
#define NNSTATE_LAYER_AVG_POOL2D 14
#define NNSTATE_LAYER_ADAPTIVE_AVG_POOL2D 15
#define NNSTATE_LAYER_IDENTITY 16
#define NNSTATE_LAYER_SOFTMAX 17
#define NNSTATE_LAYER_LOG_SOFTMAX 18
#define NNSTATE_LAYER_EMBEDDING 19
#define NNSTATE_LAYER_DROPOUT2D 20
#define NNSTATE_LAYER_ADD 21 /* merges: two or more inputs */
#define NNSTATE_LAYER_CONCAT 22
#define NNSTATE_LAYER_MULTIPLY 23

#define NNSTATE_LOSS_MSE 1 /* targets: one float per output value */
#define NNSTATE_LOSS_CROSS_ENTROPY                                                            \
  2                                    /* outputs are logits [N, C]; targets: N class indices \
                                          stored as floats (0.0 .. C-1) */
#define NNSTATE_LOSS_BCE_WITH_LOGITS 3 /* targets: one float in [0, 1] per output value */

#define NNSTATE_OPTIMIZER_SGD 1
#define NNSTATE_OPTIMIZER_ADAM 2
#define NNSTATE_OPTIMIZER_ADAMW 3

#define NNSTATE_ROLE_PARAMETER 0 /* trainable tensor */
#define NNSTATE_ROLE_BUFFER 1    /* non-trainable state (e.g. running statistics) */

/* ---- Networks ---------------------------------------------------------------------------- */

/* A network with its loss, optimizer and random streams: the unit of training state. */
typedef struct nnstate_network nnstate_network;

/* Creates an empty network. `seed` derives every random stream (parameter initialisation,
 * shuffling, dropout): the same seed and calls give bitwise-identical results.
 * Errors: INVALID_ARGUMENT (out is NULL), OUT_OF_MEMORY. Free with nnstate_network_free. */
NNSTATE_API nnstate_status nnstate_network_create(nnstate_network **out, uint64_t seed);
/* Releases the network and everything it owns. NULL is ignored. */
NNSTATE_API void nnstate_network_free(nnstate_network *network);

/* Appends torch.nn.Linear(in_features, out_features, bias != 0), weight [out, in], initialised
 * as PyTorch does (U(-1/sqrt(in), 1/sqrt(in)) for weight, then bias). The first Linear fixes
 * the network's input size; later ones must take the previous layer's output size.
 * Errors: INVALID_ARGUMENT (sizes <= 0), SHAPE_MISMATCH (in_features differs from the previous
 * output; the message gives both), STATE (optimizer already set). */
NNSTATE_API nnstate_status nnstate_network_add_linear(nnstate_network *network, int64_t in_features,
                                                      int64_t out_features, int32_t bias);
/* Appends an element-wise activation: NNSTATE_LAYER_RELU, _TANH, _SIGMOID, or _GELU (exact).
 * Errors: INVALID_ARGUMENT (other kinds: use the functions below), STATE. */
NNSTATE_API nnstate_status nnstate_network_add_activation(nnstate_network *network,
                                                          int32_t layer_kind);
/* Appends torch.nn.LeakyReLU(negative_slope) (PyTorch's default slope is 0.01).
 * Errors: INVALID_ARGUMENT (NULL, a slope that is not finite), STATE (optimizer already set). */
NNSTATE_API nnstate_status nnstate_network_add_leaky_relu(nnstate_network *network,
                                                          float negative_slope);
/* Appends torch.nn.GELU(approximate = tanh_approximation ? "tanh" : "none"). */
NNSTATE_API nnstate_status nnstate_network_add_gelu(nnstate_network *network,
                                                    int32_t tanh_approximation);

/* Fixes the shape of one input sample (without the batch dimension), e.g. {1, 28, 28} for
 * one-channel images, as layers whose input size is not implied by their configuration need
 * (a network starting with Conv2d, MaxPool2d, Flatten, ...). Call it before the first layer;
 * later layers are then checked against it. A first Linear fixes the input itself, so this
 * call is optional there. `dims` holds `rank` values (copied).
 * Errors: INVALID_ARGUMENT (NULL, rank not 1..3, a dim <= 0), STATE (a layer was added). */
NNSTATE_API nnstate_status nnstate_network_set_input_shape(nnstate_network *network,
                                                           const int64_t *dims, int32_t rank);

/* torch.nn.Conv2d's arguments; sizes are (height, width) pairs. */
typedef struct nnstate_conv2d_options {
  uint32_t struct_size; /* sizeof(nnstate_conv2d_options), set by _init */
  int64_t in_channels;
  int64_t out_channels;
  int64_t kernel_h, kernel_w;
  int64_t stride_h, stride_w;     /* default 1 */
  int64_t padding_h, padding_w;   /* zero padding, default 0 */
  int64_t dilation_h, dilation_w; /* default 1 */
  int64_t groups;                 /* default 1; divides both channel counts */
  int32_t bias;                   /* non-zero (default): add a learned bias */
} nnstate_conv2d_options;

/* Fills `options` with the channel counts, a square kernel of `kernel_size` and PyTorch's
 * defaults for the rest. Values are checked by nnstate_network_add_conv2d.
 * Errors: INVALID_ARGUMENT (options is NULL). */
NNSTATE_API nnstate_status nnstate_conv2d_options_init(nnstate_conv2d_options *options,
                                                       int64_t in_channels, int64_t out_channels,
                                                       int64_t kernel_size);
/* Appends torch.nn.Conv2d: input [N, in_channels, H, W], weight
 * [out_channels, in_channels / groups, kernel_h, kernel_w], weight and bias initialised as
 * PyTorch does (U(-1/sqrt(fan_in), 1/sqrt(fan_in))). The sample input shape must be known
 * (nnstate_network_set_input_shape, or the previous layer's output).
 * Errors: INVALID_ARGUMENT (NULL, sizes < 1, padding < 0, groups not dividing the channel
 * counts), VERSION (struct_size unknown), SHAPE_MISMATCH (the input is not [C, H, W] with
 * C = in_channels, or smaller than the dilated kernel; the message gives both shapes), STATE
 * (input shape unknown, optimizer already set). */
NNSTATE_API nnstate_status nnstate_network_add_conv2d(nnstate_network *network,
                                                      const nnstate_conv2d_options *options);
/* Appends torch.nn.MaxPool2d(kernel_size=(kernel_h, kernel_w), stride, padding) on
 * [N, C, H, W]. A stride of 0 means the kernel size in that dimension (PyTorch's default,
 * stride=None); padding (with -inf) is at most half the kernel. The gradient goes to the
 * first maximal element in row-major order. Errors: INVALID_ARGUMENT (kernel < 1, stride < 0,
 * padding out of range), SHAPE_MISMATCH (input not [C, H, W] or smaller than the kernel),
 * STATE (input shape unknown, optimizer set). */
NNSTATE_API nnstate_status nnstate_network_add_max_pool2d(nnstate_network *network,
                                                          int64_t kernel_h, int64_t kernel_w,
                                                          int64_t stride_h, int64_t stride_w,
                                                          int64_t padding_h, int64_t padding_w);
/* Appends torch.nn.Flatten() (start_dim 1, end_dim -1): every sample becomes a vector.
 * Errors: INVALID_ARGUMENT (NULL), STATE (input shape unknown, optimizer set). */
NNSTATE_API nnstate_status nnstate_network_add_flatten(nnstate_network *network);
/* Appends torch.nn.BatchNorm1d (dims 1: input [N, C] or [N, C, L]) or BatchNorm2d (dims 2:
 * input [N, C, H, W]) over C = num_features channels. PyTorch's defaults are eps 1e-5,
 * momentum 0.1, affine 1, track_running_stats 1. Tensors: weight and bias (parameters, when
 * affine), running_mean, running_var and the rank-0 num_batches_tracked (buffers, when
 * tracking). Training normalises with the batch's biased variance and updates running_var
 * with the unbiased one; in eval mode the running statistics are used (the batch's when not
 * tracking). Training needs more than one value per channel (else SHAPE_MISMATCH).
 * Errors: INVALID_ARGUMENT (dims not 1 or 2, num_features < 1, eps < 0 or not finite,
 * momentum not finite), SHAPE_MISMATCH (channels or rank differ from the input), STATE. */
NNSTATE_API nnstate_status nnstate_network_add_batch_norm(nnstate_network *network, int32_t dims,
                                                          int64_t num_features, double eps,
                                                          double momentum, int32_t affine,
                                                          int32_t track_running_stats);
/* Appends torch.nn.Dropout(p) (inverted: kept values are scaled by 1 / (1 - p)). Active only
 * in training mode, drawing from the network's dropout stream, which checkpoints save.
 * Errors: INVALID_ARGUMENT (p not in [0, 1)), STATE (optimizer set). */
NNSTATE_API nnstate_status nnstate_network_add_dropout(nnstate_network *network, double p);
/* Appends torch.nn.LayerNorm(normalized_shape, eps, elementwise_affine): normalises over the
 * trailing `rank` dims of each sample, which must equal `normalized_shape` (copied); weight and
 * bias have that shape. PyTorch's defaults are eps 1e-5 and elementwise_affine 1.
 * Errors: INVALID_ARGUMENT (NULL, rank not 1..3, a dim < 1, eps < 0 or not finite),
 * SHAPE_MISMATCH (the input's trailing dims differ; both shapes in the message), STATE. */
NNSTATE_API nnstate_status nnstate_network_add_layer_norm(nnstate_network *network,
                                                          const int64_t *normalized_shape,
                                                          int32_t rank, double eps,
                                                          int32_t elementwise_affine);

/* Appends a node of any kind, described by a JSON object of PyTorch's constructor arguments:
 *   {"kind": "Conv2d", "name": "layer1.0.conv1", "inputs": ["maxpool"], "in_channels": 64,
 *    "out_channels": 64, "kernel_size": 3, "padding": 1, "bias": false}
 * "kind" is the class name (Linear, ReLU, LeakyReLU, Tanh, Sigmoid, GELU, Conv2d, MaxPool2d,
 * Flatten, BatchNorm1d, BatchNorm2d, Dropout, LayerNorm, AvgPool2d, AdaptiveAvgPool2d, Identity,
 * Softmax, LogSoftmax, Embedding, Dropout2d, and the merges Add, Concat, Multiply). "name"
 * (optional) is the module name, which prefixes its tensors' names ("layer1.0.conv1.weight");
 * unnamed nodes are numbered by their index ("3.weight"). "inputs" (optional; default: the
 * previous node, or the network input for the first) lists earlier nodes by index (-1: the
 * network input) or by name; a merge takes two or more. Every other field is an argument with
 * PyTorch's name, type and default: pairs are an int or [h, w]; Conv2d's padding may be "same"
 * or "valid"; pools' stride null (the default) means kernel_size; GELU's approximate is "none" or
 * "tanh"; Embedding's padding_idx null means none; Concat's dim defaults to 1 (channels or
 * features, not torch.cat's batch dim 0); Softmax's and LogSoftmax's dim defaults to -1.
 * The string is copied; *index_out (may be NULL) receives the node's index, -1 on error.
 * Errors: INVALID_ARGUMENT (NULL; invalid JSON, unknown kind, unknown, duplicate or missing
 * field, wrong type, value out of range, unknown input, invalid or duplicate name: the message
 * names the node and the field), SHAPE_MISMATCH (inputs of the wrong shape; both shapes in the
 * message), STATE (optimizer set, input shape unknown for a node that needs it). */
NNSTATE_API nnstate_status nnstate_network_add_node(nnstate_network *network, const char *node_json,
                                                    int64_t *index_out);
/* The description of node `index` (0 .. nnstate_network_layer_count - 1) in the form
 * nnstate_network_add_node takes, with every argument, its name (when named) and its inputs
 * (names of named nodes, else indices): adding each node's description to a fresh network with
 * the same input shape and seed rebuilds the same network. Writes the NUL-terminated text into
 * the caller's buffer of `capacity` bytes and its size in bytes, NUL included, to *size_out.
 * When it does not fit (or buffer is NULL, to ask for the size), returns
 * NNSTATE_ERR_SHAPE_MISMATCH with *size_out set to the size needed; the buffer's contents are
 * then unspecified. Errors: INVALID_ARGUMENT (NULL network or size_out, index out of range),
 * SHAPE_MISMATCH (too small). */
NNSTATE_API nnstate_status nnstate_network_node_json(const nnstate_network *network, size_t index,
                                                     char *buffer, size_t capacity,
                                                     size_t *size_out);

/* The mode of nnstate_network_predict and nnstate_network_evaluate. 0 (the default, also
 * after loading a checkpoint) is PyTorch's model.eval(): BatchNorm uses its running statistics
 * and Dropout is off, so predictions are deterministic. Non-zero is model.train(): BatchNorm
 * normalises with the batch's statistics and updates its running statistics, Dropout draws
 * from the checkpointed dropout stream. nnstate_network_train_step always trains in training
 * mode whatever this says. The mode is not saved in checkpoints.
 * Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_network_set_training_mode(nnstate_network *network,
                                                             int32_t training);
/* Writes the mode (1 training, 0 eval) to *out. Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_network_get_training_mode(const nnstate_network *network,
                                                             int32_t *out);

/* Number of layers. Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_network_layer_count(const nnstate_network *network, size_t *out);
/* Number of floats in one input sample and in one output sample.
 * Errors: INVALID_ARGUMENT, STATE (no layer fixes the input size yet). */
NNSTATE_API nnstate_status nnstate_network_input_size(const nnstate_network *network, size_t *out);
NNSTATE_API nnstate_status nnstate_network_output_size(const nnstate_network *network, size_t *out);
/* Number of trainable scalars (like sum(p.numel() for p in model.parameters())). */
NNSTATE_API nnstate_status nnstate_network_parameter_count(const nnstate_network *network,
                                                           uint64_t *out);

/* Selects the loss: NNSTATE_LOSS_*. Errors: INVALID_ARGUMENT (unknown kind). */
NNSTATE_API nnstate_status nnstate_network_set_loss(nnstate_network *network, int32_t loss_kind);

/* ---- Optimizers -------------------------------------------------------------------------- */

/* Hyper-parameters with PyTorch's meaning (torch.optim.SGD / Adam / AdamW). */
typedef struct nnstate_optimizer_options {
  uint32_t struct_size; /* sizeof(nnstate_optimizer_options), set by _init */
  int32_t kind;         /* NNSTATE_OPTIMIZER_* */
  double lr;
  double beta1, beta2, eps; /* Adam, AdamW */
  double weight_decay;      /* L2 for SGD and Adam, decoupled for AdamW */
  int32_t amsgrad;          /* Adam, AdamW: non-zero enables AMSGrad */
  int32_t maximize;         /* non-zero maximises the objective */
  double momentum;          /* SGD */
  double dampening;         /* SGD */
  int32_t nesterov;         /* SGD: needs momentum > 0 and dampening == 0 */
} nnstate_optimizer_options;

/* Fills `options` with PyTorch's defaults for `kind`: lr 1e-3, betas (0.9, 0.999), eps 1e-8,
 * weight_decay 0 (AdamW: 1e-2), everything else 0. Errors: INVALID_ARGUMENT (NULL, kind). */
NNSTATE_API nnstate_status nnstate_optimizer_options_init(nnstate_optimizer_options *options,
                                                          int32_t kind);
/* Sets the network's optimizer over all its trainable parameters (frozen ones, see
 * nnstate_network_set_requires_grad, get none), with fresh state (step 0). Call after
 * the last layer is added. Errors: INVALID_ARGUMENT (NULL, invalid values as PyTorch refuses
 * them), VERSION (struct_size unknown), STATE (no layers). */
NNSTATE_API nnstate_status nnstate_network_set_optimizer(nnstate_network *network,
                                                         const nnstate_optimizer_options *options);
/* Current learning rate of the optimizer, and a way to change it between steps (a schedule
 * attached to a trainer keeps changing it). Errors: INVALID_ARGUMENT (NULL; lr negative or not
 * finite: the rate is left unchanged), STATE (no optimizer is set). */
NNSTATE_API nnstate_status nnstate_network_get_lr(const nnstate_network *network, double *out);
NNSTATE_API nnstate_status nnstate_network_set_lr(nnstate_network *network, double lr);

/* ---- Training and inference -------------------------------------------------------------- */

/* One optimisation step on a mini-batch: forward in training mode, loss, backward, optimizer
 * update. `inputs` holds batch_size * input_size floats (row-major, sample after sample);
 * `targets` holds what the loss needs (see NNSTATE_LOSS_*). Writes the mean loss before the
 * update to *loss_out unless it is NULL. After the first step with a given batch size, a step
 * allocates no memory.
 * Errors: INVALID_ARGUMENT (NULL arrays, batch_size 0, invalid class index), SHAPE_MISMATCH
 * (counts), STATE (no loss or optimizer). On error the parameters are unchanged. */
NNSTATE_API nnstate_status nnstate_network_train_step(nnstate_network *network, const float *inputs,
                                                      size_t input_count, const float *targets,
                                                      size_t target_count, size_t batch_size,
                                                      float *loss_out);
/* Mean loss on a batch without any optimizer update, in the mode set by
 * nnstate_network_set_training_mode (eval by default). Unlike train_step, loss_out is
 * required. Errors: as nnstate_network_train_step, INVALID_ARGUMENT for a NULL loss_out. */
NNSTATE_API nnstate_status nnstate_network_evaluate(nnstate_network *network, const float *inputs,
                                                    size_t input_count, const float *targets,
                                                    size_t target_count, size_t batch_size,
                                                    float *loss_out);
/* Inference in the mode set by nnstate_network_set_training_mode (eval by default): writes
 * batch_size * output_size floats to `outputs` (output_count must equal that).
 * Errors: INVALID_ARGUMENT, SHAPE_MISMATCH, STATE (no layers). */
NNSTATE_API nnstate_status nnstate_network_predict(nnstate_network *network, const float *inputs,
                                                   size_t input_count, size_t batch_size,
                                                   float *outputs, size_t output_count);

/* ---- Tensors by name --------------------------------------------------------------------- */

/* Number of named tensors (parameters and buffers) in state_dict order. */
NNSTATE_API nnstate_status nnstate_network_tensor_count(const nnstate_network *network,
                                                        size_t *out);
/* Describes tensor `index` (0 .. count-1): its state_dict name ("0.weight"; owned by the
 * network, valid until a layer is added or the network is freed), its role
 * (NNSTATE_ROLE_*), its rank and dims (dims must have room for 4). Any output may be NULL.
 * Errors: INVALID_ARGUMENT (NULL network, index out of range). */
NNSTATE_API nnstate_status nnstate_network_tensor_info(const nnstate_network *network, size_t index,
                                                       const char **name, int32_t *role,
                                                       int32_t *rank, int64_t *dims);
/* Copies a tensor's values out; `count` must equal its number of elements.
 * Errors: INVALID_ARGUMENT (NULL), NOT_FOUND (no tensor of that name), SHAPE_MISMATCH. */
NNSTATE_API nnstate_status nnstate_network_get_tensor(const nnstate_network *network,
                                                      const char *name, float *values,
                                                      size_t count);
/* Overwrites a tensor's values; `count` must equal its number of elements. */
NNSTATE_API nnstate_status nnstate_network_set_tensor(nnstate_network *network, const char *name,
                                                      const float *values, size_t count);

/* ---- Training loop ----------------------------------------------------------------------- */

/* A dataset over caller memory. The library BORROWS the arrays (no copy): they must stay valid
 * and unchanged until the dataset is freed. `inputs` holds samples * (network input size)
 * floats; `targets` holds samples * (targets per sample) floats: 1 class index per sample for
 * NNSTATE_LOSS_CROSS_ENTROPY, one value per output otherwise. */
typedef struct nnstate_dataset nnstate_dataset;

/* Errors: INVALID_ARGUMENT (NULL arrays, samples 0), SHAPE_MISMATCH (a count is not a multiple
 * of samples). Free with nnstate_dataset_free. */
NNSTATE_API nnstate_status nnstate_dataset_create(nnstate_dataset **out, const float *inputs,
                                                  size_t input_count, const float *targets,
                                                  size_t target_count, size_t samples);
NNSTATE_API void nnstate_dataset_free(nnstate_dataset *dataset);

#define NNSTATE_SCHEDULER_NONE 0
#define NNSTATE_SCHEDULER_STEP 1              /* torch.optim.lr_scheduler.StepLR */
#define NNSTATE_SCHEDULER_MULTI_STEP 2        /* MultiStepLR */
#define NNSTATE_SCHEDULER_EXPONENTIAL 3       /* ExponentialLR */
#define NNSTATE_SCHEDULER_COSINE_ANNEALING 4  /* CosineAnnealingLR */
#define NNSTATE_SCHEDULER_LINEAR 5            /* LinearLR (warm-up) */
#define NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU 6 /* ReduceLROnPlateau */

#define NNSTATE_MODE_AUTO 0 /* early stopping: max for "accuracy" metrics, min otherwise */
#define NNSTATE_MODE_MIN 1
#define NNSTATE_MODE_MAX 2

#define NNSTATE_THRESHOLD_REL 0
#define NNSTATE_THRESHOLD_ABS 1

/* Metric names usable as monitors: "loss", "accuracy", "val_loss", "val_accuracy", "lr". */

typedef struct nnstate_trainer_options {
  uint32_t struct_size;
  int64_t epochs;     /* train until this many epochs are complete (default 10) */
  int64_t batch_size; /* default 32 */
  int32_t shuffle;    /* non-zero (default): reshuffle every epoch from the checkpointed RNG */
  int32_t drop_last;  /* non-zero: drop each epoch's last incomplete batch (default 0) */
} nnstate_trainer_options;

/* A learning-rate schedule with PyTorch's meaning and defaults. */
typedef struct nnstate_scheduler_options {
  uint32_t struct_size;
  int32_t kind;              /* NNSTATE_SCHEDULER_* */
  int32_t per_batch;         /* non-zero: step after every batch instead of every epoch */
  int64_t step_size;         /* StepLR (default 1) */
  double gamma;              /* StepLR, MultiStepLR, ExponentialLR (default 0.1) */
  const int64_t *milestones; /* MultiStepLR: epochs, copied at trainer creation */
  size_t milestone_count;
  int64_t t_max;          /* CosineAnnealingLR (default 1) */
  double eta_min;         /* CosineAnnealingLR (default 0) */
  double start_factor;    /* LinearLR (default 1/3) */
  double end_factor;      /* LinearLR (default 1) */
  int64_t total_iters;    /* LinearLR (default 5) */
  int32_t mode;           /* ReduceLROnPlateau: NNSTATE_MODE_MIN (default) or _MAX */
  double factor;          /* ReduceLROnPlateau (default 0.1) */
  int64_t patience;       /* (default 10) */
  double threshold;       /* (default 1e-4) */
  int32_t threshold_mode; /* NNSTATE_THRESHOLD_REL (default) or _ABS */
  int64_t cooldown;       /* (default 0) */
  double min_lr;          /* (default 0) */
  double eps;             /* (default 1e-8) */
  const char *monitor;    /* ReduceLROnPlateau's metric (default "val_loss"); copied */
} nnstate_scheduler_options;

/* Early stopping with Keras' meaning and defaults; its whole state is checkpointed. */
typedef struct nnstate_early_stopping_options {
  uint32_t struct_size;
  const char *monitor;  /* default "val_loss"; copied */
  int32_t mode;         /* NNSTATE_MODE_* (default AUTO) */
  double min_delta;     /* default 0 (its absolute value is used) */
  int64_t patience;     /* default 0 */
  int32_t has_baseline; /* non-zero: `baseline` is used (default 0) */
  double baseline;
  int32_t restore_best_weights; /* non-zero: put the best epoch's weights back at the end */
  int64_t start_from_epoch;     /* default 0 */
} nnstate_early_stopping_options;

/* Fill with the defaults above. Errors: INVALID_ARGUMENT (NULL; unknown kind). */
NNSTATE_API nnstate_status nnstate_trainer_options_init(nnstate_trainer_options *options);
NNSTATE_API nnstate_status nnstate_scheduler_options_init(nnstate_scheduler_options *options,
                                                          int32_t kind);
NNSTATE_API nnstate_status
nnstate_early_stopping_options_init(nnstate_early_stopping_options *options);

/* The training loop over a network. The trainer BORROWS the network: it must outlive the
 * trainer, and must not be used elsewhere while nnstate_trainer_fit runs. `scheduler` and
 * `early_stopping` may be NULL (none). Creating a scheduler takes PyTorch's initial step (e.g.
 * LinearLR scales the rate at once).
 * Errors: INVALID_ARGUMENT (NULL network/options, invalid values, a monitor of early stopping
 * or ReduceLROnPlateau that is not one of "loss", "accuracy", "val_loss", "val_accuracy",
 * "lr"), VERSION (struct_size), STATE (the network has no loss or optimizer). Free with
 * nnstate_trainer_free. */
typedef struct nnstate_trainer nnstate_trainer;
NNSTATE_API nnstate_status nnstate_trainer_create(
    nnstate_trainer **out, nnstate_network *network, const nnstate_trainer_options *options,
    const nnstate_scheduler_options *scheduler,
    const nnstate_early_stopping_options *early_stopping);
NNSTATE_API void nnstate_trainer_free(nnstate_trainer *trainer);

/* One row of history, and what the epoch callback receives. NaN where a value does not exist
 * (accuracy for MSE, validation values without a validation set). */
typedef struct nnstate_epoch_info {
  uint32_t struct_size;
  int64_t epoch; /* 0-based */
  double loss;   /* sample-weighted mean training loss of the epoch */
  double accuracy;
  double val_loss;
  double val_accuracy;
  double lr;      /* rate used at the end of the epoch, before the scheduler's step */
  double seconds; /* wall time of the epoch (not part of the determinism contract) */
} nnstate_epoch_info;

typedef struct nnstate_batch_info {
  uint32_t struct_size;
  int64_t epoch; /* 0-based */
  int64_t batch; /* batches done in this epoch, this one included */
  int64_t batches_per_epoch;
  int64_t global_step; /* batches done in the whole run */
  double loss;         /* running mean training loss of the epoch so far */
  int64_t samples;     /* samples in this batch */
  /* Appended after the first release: a callback built against an older header ignores them */
  double grad_norm;        /* total gradient norm before clipping of the update this batch
                              ended; NaN without norm clipping or when it made no update */
  int64_t optimizer_steps; /* updates done in the run, this batch's included */
  int32_t skipped;         /* non-zero: not trained on (divergence rollback) */
} nnstate_batch_info;

/* Callbacks run on the thread that called nnstate_trainer_fit. Returning non-zero stops
 * training at that boundary, resumably (as nnstate_trainer_request_stop). */
typedef int32_t (*nnstate_epoch_callback)(const nnstate_epoch_info *info, void *user_data);
typedef int32_t (*nnstate_batch_callback)(const nnstate_batch_info *info, void *user_data);

/* Sets (or, with NULL, clears) the callbacks; `user_data` is passed back unchanged. */
NNSTATE_API nnstate_status nnstate_trainer_set_callbacks(nnstate_trainer *trainer,
                                                         nnstate_epoch_callback on_epoch,
                                                         nnstate_batch_callback on_batch,
                                                         void *user_data);

#define NNSTATE_STOP_COMPLETED 0      /* all epochs done */
#define NNSTATE_STOP_EARLY_STOPPING 1 /* the early-stopping rule fired (now or earlier) */
#define NNSTATE_STOP_REQUESTED 2      /* request_stop or a callback: fit again to continue */
#define NNSTATE_STOP_DIVERGED                               \
  3 /* the loss diverged after max_rollbacks rollbacks (see \
       nnstate_rollback_options); fit does nothing more */

/* Trains until the configured epochs are complete, early stopping fires, or a stop is
 * requested; calling it again continues from where it stopped (mid-epoch included), giving
 * the same result as an uninterrupted run. `validation` may be NULL. Writes why it ended to
 * *stop_reason (NNSTATE_STOP_*) unless NULL.
 * Errors: INVALID_ARGUMENT (NULL, a monitor that the run cannot produce, e.g. "val_loss"
 * without validation data), SHAPE_MISMATCH (dataset sizes do not fit the network). */
NNSTATE_API nnstate_status nnstate_trainer_fit(nnstate_trainer *trainer,
                                               const nnstate_dataset *train,
                                               const nnstate_dataset *validation,
                                               int32_t *stop_reason);
/* Asks a running fit to stop at the next batch boundary. The one trainer function that may be
 * called from another thread (or a signal handler) while fit runs. */
NNSTATE_API nnstate_status nnstate_trainer_request_stop(nnstate_trainer *trainer);

/* Sets the total number of epochs the run trains (the options' `epochs`), e.g. to extend a
 * completed run: the next nnstate_trainer_fit continues from the trainer's position to the new
 * total, exactly as a run created with that total would have. A total at or below the epochs
 * already completed makes fit return at once. Not to be called from fit's callbacks.
 * Errors: INVALID_ARGUMENT (NULL trainer, epochs < 0). */
NNSTATE_API nnstate_status nnstate_trainer_set_epochs(nnstate_trainer *trainer, int64_t epochs);

/* Progress: epochs completed, batches completed in all epochs and in the current epoch. Any
 * output may be NULL. */
NNSTATE_API nnstate_status nnstate_trainer_position(const nnstate_trainer *trainer, int64_t *epoch,
                                                    int64_t *global_step, int64_t *batch_in_epoch);
/* History: one row per completed epoch. `row->struct_size` must be set by the caller. */
NNSTATE_API nnstate_status nnstate_trainer_history_count(const nnstate_trainer *trainer,
                                                         size_t *out);
NNSTATE_API nnstate_status nnstate_trainer_history_row(const nnstate_trainer *trainer, size_t index,
                                                       nnstate_epoch_info *row);

/* ---- Checkpoints ------------------------------------------------------------------------- */

/* A checkpoint file (extension .nnst) holds a network's complete training state: architecture,
 * parameters and buffers, loss, optimizer hyper-parameters and per-parameter state (keyed by
 * parameter name), random-number-generator states, the environment that bitwise determinism
 * depends on (BLAS core type and thread count), and user metadata. Every byte is checked
 * (CRC32C of header, manifest and each tensor; padding must be zero), so corruption is
 * reported, never loaded. Readers treat files as untrusted: a malformed file gives
 * NNSTATE_ERR_CORRUPT (or _VERSION for a newer major format) with a message naming the file,
 * the field and the numbers, never a crash. */

/* The newest format this library writes; it reads every older version too. */
#define NNSTATE_FORMAT_VERSION_MAJOR 1
#define NNSTATE_FORMAT_VERSION_MINOR 3

/* The format version the loaded library writes. Errors: INVALID_ARGUMENT (NULL output). */
NNSTATE_API nnstate_status nnstate_format_version(uint32_t *major, uint32_t *minor);

/* Roles of tensors in a checkpoint, beyond NNSTATE_ROLE_PARAMETER and _BUFFER. */
#define NNSTATE_ROLE_OPTIMIZER_STATE 2 /* e.g. "optimizer.0.weight.exp_avg" */
#define NNSTATE_ROLE_BEST_WEIGHT 3     /* early stopping's best weights */
#define NNSTATE_ROLE_GRAD_ACCUMULATION                   \
  4 /* gradient sums of an unfinished accumulation group \
       ("trainer.grad_accumulation.0.weight") */
#define NNSTATE_ROLE_ROLLBACK_SNAPSHOT   \
  5 /* what divergence rollback restores \
       ("rollback.0.weight", "rollback.optimizer...") */

#define NNSTATE_DTYPE_FLOAT32 0

/* What each load mode reads and checks. Every mode validates the header, the whole manifest
 * (including the training-loop state) and that every byte outside tensors (padding, any block
 * no tensor references) is zero. NNSTATE_LOAD_FULL also reads every tensor of the file and,
 * with verify_crc, checks each one's CRC32C -- early stopping's best weights included, although
 * only nnstate_trainer_resume uses them -- so a full load checks every byte, as
 * nnstate_checkpoint_verify does. NNSTATE_LOAD_WEIGHTS_ONLY reads (and CRC-checks) only the
 * network's parameters and buffers: it skips the bytes of the optimizer's state tensors and of
 * early stopping's best weights, whose corruption it therefore does not see. */
#define NNSTATE_LOAD_FULL 0         /* everything: weights, loss, optimizer and its state, RNGs */
#define NNSTATE_LOAD_WEIGHTS_ONLY 1 /* parameters and buffers only */

typedef struct nnstate_save_options {
  uint32_t struct_size; /* sizeof(nnstate_save_options), set by _init */
  int32_t fsync;        /* non-zero (default): the file and its directory are fsync'ed, so the
                           checkpoint survives a power loss once the call returns */
  /* User metadata: metadata_count pairs of NUL-terminated strings (e.g. hyper-parameters).
   * Keys must be non-empty and unique. Copied into the file; NULL arrays when count is 0. */
  const char *const *metadata_keys;
  const char *const *metadata_values;
  size_t metadata_count;
} nnstate_save_options;

typedef struct nnstate_load_options {
  uint32_t struct_size; /* sizeof(nnstate_load_options), set by _init */
  int32_t what;         /* NNSTATE_LOAD_FULL (default) or NNSTATE_LOAD_WEIGHTS_ONLY */
  int32_t verify_crc;   /* non-zero (default): check the CRC32C of every tensor read */
} nnstate_load_options;

/* Fill with the defaults above. Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_save_options_init(nnstate_save_options *options);
NNSTATE_API nnstate_status nnstate_load_options_init(nnstate_load_options *options);

/* Saves the network's complete state to `path`, crash-safely: the data is streamed to a
 * temporary file in the same directory (no second in-memory copy of the tensors), fsync'ed,
 * renamed over `path`, and the directory fsync'ed. On any failure the previous file at `path`
 * is untouched, the temporary is removed, and the message gives the reason (with the system's
 * error text). `options` may be NULL (defaults). A process that limits file sizes
 * (RLIMIT_FSIZE) should ignore SIGXFSZ to get an error instead of being killed.
 * Errors: INVALID_ARGUMENT (NULL, bad metadata), VERSION (struct_size), IO. */
NNSTATE_API nnstate_status nnstate_checkpoint_save(nnstate_network *network, const char *path,
                                                   const nnstate_save_options *options);
/* Saves into the caller's buffer of `capacity` bytes and writes the checkpoint's size to
 * *size_out. When it does not fit (or buffer is NULL, to ask for the size), returns
 * NNSTATE_ERR_SHAPE_MISMATCH with *size_out set to the size needed; the buffer's contents are
 * then unspecified. The size changes only when the network or the metadata does.
 * Errors: INVALID_ARGUMENT (NULL network or size_out), VERSION, SHAPE_MISMATCH (too small). */
NNSTATE_API nnstate_status nnstate_checkpoint_save_to_buffer(nnstate_network *network, void *buffer,
                                                             size_t capacity, size_t *size_out,
                                                             const nnstate_save_options *options);

/* Rebuilds a network from the checkpoint alone: layers, loss, and (NNSTATE_LOAD_FULL)
 * optimizer with its state and the RNG states, so training continues bitwise-identically.
 * The file is validated completely before anything is built. On success *out owns a new
 * network (free with nnstate_network_free); on error *out is NULL. `options` may be NULL.
 * Errors: INVALID_ARGUMENT, VERSION, NOT_FOUND (no such file), IO, CORRUPT. */
NNSTATE_API nnstate_status nnstate_checkpoint_load(nnstate_network **out, const char *path,
                                                   const nnstate_load_options *options);
/* The same from a checkpoint in memory (`data`, `size` bytes; only read during the call). */
NNSTATE_API nnstate_status nnstate_checkpoint_load_buffer(nnstate_network **out, const void *data,
                                                          size_t size,
                                                          const nnstate_load_options *options);
/* Loads into a network the caller built. Its layers and tensors must match the file's
 * exactly: every missing, extra or mis-shaped tensor is listed by name and shape in the
 * message (SHAPE_MISMATCH, or NOT_FOUND when only names differ), and then nothing has been
 * changed. With NNSTATE_LOAD_FULL the network's loss and optimizer are replaced by the file's
 * (configuration and state) and its RNG states restored; NNSTATE_LOAD_WEIGHTS_ONLY loads
 * parameters and buffers only, also from a full checkpoint. If a tensor's CRC fails while
 * reading (bit rot in tensor data, which structural checks cannot see), the status is CORRUPT
 * and the network's tensors are partly overwritten: call nnstate_checkpoint_verify first when
 * the network must stay intact on a damaged file.
 * Errors: INVALID_ARGUMENT, VERSION, NOT_FOUND, IO, CORRUPT, SHAPE_MISMATCH. */
NNSTATE_API nnstate_status nnstate_checkpoint_load_into(nnstate_network *network, const char *path,
                                                        const nnstate_load_options *options);
NNSTATE_API nnstate_status nnstate_checkpoint_load_into_buffer(nnstate_network *network,
                                                               const void *data, size_t size,
                                                               const nnstate_load_options *options);

/* Checks a whole checkpoint without building anything: header, manifest, semantics, the CRC
 * of every tensor, and that every padding byte is zero. Returns NNSTATE_OK (0) or the error
 * (CORRUPT, VERSION, NOT_FOUND, IO, INVALID_ARGUMENT) with a message. */
NNSTATE_API nnstate_status nnstate_checkpoint_verify(const char *path);
NNSTATE_API nnstate_status nnstate_checkpoint_verify_buffer(const void *data, size_t size);

/* An open checkpoint for inspection and zero-copy inference: the file is memory-mapped
 * read-only and its manifest validated; tensor data is used in place. */
typedef struct nnstate_checkpoint nnstate_checkpoint;

/* Opens and validates `path` (with options->verify_crc, the default, every tensor CRC and the
 * padding too, as nnstate_checkpoint_verify). `options->what` is ignored; `options` may be
 * NULL. The mapping lives until nnstate_checkpoint_free; do not truncate the file meanwhile.
 * Errors: INVALID_ARGUMENT, VERSION, NOT_FOUND, IO, CORRUPT. Free with nnstate_checkpoint_free. */
NNSTATE_API nnstate_status nnstate_checkpoint_open(nnstate_checkpoint **out, const char *path,
                                                   const nnstate_load_options *options);
/* The same over a copy of `size` bytes at `data` (the caller's buffer is not retained). */
NNSTATE_API nnstate_status nnstate_checkpoint_open_buffer(nnstate_checkpoint **out,
                                                          const void *data, size_t size,
                                                          const nnstate_load_options *options);
/* Releases the handle and its mapping; pointers it handed out become invalid. NULL is ignored. */
NNSTATE_API void nnstate_checkpoint_free(nnstate_checkpoint *checkpoint);

/* Queries. Strings returned are owned by the handle and valid until nnstate_checkpoint_free.
 * Any output pointer documented as optional may be NULL. Errors: INVALID_ARGUMENT (NULL
 * handle or required output, index out of range), NOT_FOUND (no such name or key). */

/* The file's format version (both outputs required), and the version of the library that wrote
 * it (e.g. "0.1.0"). */
NNSTATE_API nnstate_status nnstate_checkpoint_format(const nnstate_checkpoint *checkpoint,
                                                     uint32_t *major, uint32_t *minor);
NNSTATE_API nnstate_status nnstate_checkpoint_writer_version(const nnstate_checkpoint *checkpoint,
                                                             const char **out);
/* Creation time in nanoseconds since 1970-01-01 UTC. */
NNSTATE_API nnstate_status nnstate_checkpoint_created(const nnstate_checkpoint *checkpoint,
                                                      int64_t *unix_ns);
/* The BLAS core type and thread count of the writer (optional outputs): bitwise-identical
 * resumption needs the same ones. */
NNSTATE_API nnstate_status nnstate_checkpoint_environment(const nnstate_checkpoint *checkpoint,
                                                          const char **blas_core_type,
                                                          int32_t *blas_threads);
/* Number of layers of the stored architecture. */
NNSTATE_API nnstate_status nnstate_checkpoint_layer_count(const nnstate_checkpoint *checkpoint,
                                                          size_t *out);
/* Every stored tensor: network tensors ("0.weight"), optimizer state
 * ("optimizer.0.weight.exp_avg") and early stopping's best weights
 * ("early_stopping.best.0.weight"). */
NNSTATE_API nnstate_status nnstate_checkpoint_tensor_count(const nnstate_checkpoint *checkpoint,
                                                           size_t *out);
/* Describes tensor `index`: name, role (NNSTATE_ROLE_*), dtype (NNSTATE_DTYPE_*), rank and
 * dims (room for 4). All outputs optional. */
NNSTATE_API nnstate_status nnstate_checkpoint_tensor_info(const nnstate_checkpoint *checkpoint,
                                                          size_t index, const char **name,
                                                          int32_t *role, int32_t *dtype,
                                                          int32_t *rank, int64_t *dims);
/* The CRC32C (Castagnoli) the manifest stores for tensor `index`'s bytes, as written; it is the
 * value that verification compares with (crc_out required). */
NNSTATE_API nnstate_status nnstate_checkpoint_tensor_crc32c(const nnstate_checkpoint *checkpoint,
                                                            size_t index, uint32_t *crc_out);
/* Zero-copy: a pointer to the tensor's values inside the mapping (64-byte aligned, read-only)
 * and their count (optional). Valid until nnstate_checkpoint_free. When the handle was opened
 * with verify_crc off, the values have not been checked. */
NNSTATE_API nnstate_status nnstate_checkpoint_tensor_data(const nnstate_checkpoint *checkpoint,
                                                          const char *name, const float **data,
                                                          size_t *count);
/* Copies a tensor's values; `count` must equal its number of elements (else SHAPE_MISMATCH). */
NNSTATE_API nnstate_status nnstate_checkpoint_read_tensor(const nnstate_checkpoint *checkpoint,
                                                          const char *name, float *values,
                                                          size_t count);
/* The optimizer kind (NNSTATE_OPTIMIZER_*, or 0 when the file has none) and its step (number
 * of updates done). Outputs optional. */
NNSTATE_API nnstate_status nnstate_checkpoint_optimizer(const nnstate_checkpoint *checkpoint,
                                                        int32_t *kind, int64_t *step);
/* User metadata: the number of pairs, pair `index` (outputs optional), or the value of `key`
 * (NOT_FOUND when absent). */
NNSTATE_API nnstate_status nnstate_checkpoint_metadata_count(const nnstate_checkpoint *checkpoint,
                                                             size_t *out);
NNSTATE_API nnstate_status nnstate_checkpoint_metadata_at(const nnstate_checkpoint *checkpoint,
                                                          size_t index, const char **key,
                                                          const char **value);
NNSTATE_API nnstate_status nnstate_checkpoint_metadata_get(const nnstate_checkpoint *checkpoint,
                                                           const char *key, const char **value);

/* Training-loop state stored in a checkpoint of a trainer (all outputs optional). `present` is
 * set to 0, and the other outputs are left alone, when the file has no such state. */
NNSTATE_API nnstate_status nnstate_checkpoint_trainer(const nnstate_checkpoint *checkpoint,
                                                      int32_t *present, int64_t *epoch,
                                                      int64_t *global_step,
                                                      int64_t *batch_in_epoch);
/* The stored history: one row per completed epoch (row->struct_size must be set). Count is 0
 * for a checkpoint without training-loop state. Errors: INVALID_ARGUMENT (index), VERSION. */
NNSTATE_API nnstate_status nnstate_checkpoint_history_count(const nnstate_checkpoint *checkpoint,
                                                            size_t *out);
NNSTATE_API nnstate_status nnstate_checkpoint_history_row(const nnstate_checkpoint *checkpoint,
                                                          size_t index, nnstate_epoch_info *row);
/* The learning-rate scheduler: kind (NNSTATE_SCHEDULER_*, NONE when absent), PyTorch's
 * last_epoch, and ReduceLROnPlateau's best, num_bad_epochs and cooldown_counter. */
NNSTATE_API nnstate_status nnstate_checkpoint_scheduler(const nnstate_checkpoint *checkpoint,
                                                        int32_t *kind, int64_t *last_epoch,
                                                        double *best, int64_t *num_bad_epochs,
                                                        int64_t *cooldown_counter);
/* Early stopping: present, its monitor (owned by the handle), best value, best epoch, wait
 * count and stopped epoch (Keras' names). */
NNSTATE_API nnstate_status nnstate_checkpoint_early_stopping(const nnstate_checkpoint *checkpoint,
                                                             int32_t *present, const char **monitor,
                                                             double *best, int64_t *best_epoch,
                                                             int64_t *wait, int64_t *stopped_epoch);
/* The stored optimizer's hyper-parameters (options->struct_size must be set; kind is 0 when the
 * file has no optimizer), the loss (NNSTATE_LOSS_*, 0 when none), and the kind of layer
 * `index` (NNSTATE_LAYER_*). */
NNSTATE_API nnstate_status nnstate_checkpoint_optimizer_options(
    const nnstate_checkpoint *checkpoint, nnstate_optimizer_options *options);
NNSTATE_API nnstate_status nnstate_checkpoint_loss(const nnstate_checkpoint *checkpoint,
                                                   int32_t *kind);
NNSTATE_API nnstate_status nnstate_checkpoint_layer_kind(const nnstate_checkpoint *checkpoint,
                                                         size_t index, int32_t *kind);

/* Every stored value other than tensor data and user metadata, as (name, text) pairs in a
 * fixed order: format, writer, environment, architecture (seed, layers and their
 * configuration), loss, optimizer (hyper-parameters and each parameter's step), the RNG
 * streams, the scheduler's and early stopping's configuration and state, the training loop's
 * settings, position, partial epoch sums and history. Names are full paths
 * ("scheduler.state.num_bad_epochs", "trainer.history[2].val_loss", "rng[init].block");
 * integers are decimal, floating-point values read back to the same bits (a NaN other than the
 * default quiet NaN shows its bits), so two fields are equal exactly when their texts are.
 * `flags` (optional) gets NNSTATE_FIELD_* bits. Strings are owned by the handle.
 * Errors: INVALID_ARGUMENT (NULL handle or count output, index out of range). */
#define NNSTATE_FIELD_WALL_CLOCK 1 /* a time measurement, outside the determinism contract */
NNSTATE_API nnstate_status nnstate_checkpoint_field_count(const nnstate_checkpoint *checkpoint,
                                                          size_t *out);
NNSTATE_API nnstate_status nnstate_checkpoint_field_at(const nnstate_checkpoint *checkpoint,
                                                       size_t index, const char **name,
                                                       const char **value, int32_t *flags);

/* ---- Trainer checkpoints ----------------------------------------------------------------- */

/* Saves the trainer's network (as nnstate_checkpoint_save does) together with the whole state
 * of the training loop: position (mid-epoch included), the shuffle stream, the epoch's partial
 * sums, history, the scheduler's and early stopping's state with its best weights. Crash-safe
 * like nnstate_checkpoint_save. Not while nnstate_trainer_fit runs (use a checkpoint policy).
 * `options` may be NULL (defaults). Errors: INVALID_ARGUMENT, VERSION, IO (with the reason). */
NNSTATE_API nnstate_status nnstate_trainer_save(nnstate_trainer *trainer, const char *path,
                                                const nnstate_save_options *options);
/* Restores the trainer and its network from a file written by nnstate_trainer_save (or a
 * checkpoint policy), after verifying it; nnstate_trainer_fit then continues exactly where that
 * run was, ending bitwise identical to an uninterrupted run (same build, OpenBLAS core type
 * and thread count; otherwise a warning is left in nnstate_trainer_warnings). The trainer must
 * be set up alike (batch size, shuffle, drop_last, scheduler kind, early stopping on/off, and
 * since format 1.2 clipping, accumulate_steps and rollback settings: set them first) and
 * its network must have the file's architecture; `epochs` may differ, to extend a run.
 * Errors: INVALID_ARGUMENT, IO, CORRUPT, VERSION, SHAPE_MISMATCH / NOT_FOUND (network differs),
 * STATE (trainer set up differently, or the file holds no training-loop state). The file is
 * memory-mapped while it is read: do not truncate it meanwhile (as for nnstate_checkpoint_open;
 * the library's own saves replace files by renaming, which is safe). */
NNSTATE_API nnstate_status nnstate_trainer_resume(nnstate_trainer *trainer, const char *path);

/* What a checkpoint policy's on_save callback receives once a save is complete or has failed.
 * Strings are valid during the call only. */
typedef struct nnstate_save_info {
  uint32_t struct_size;
  nnstate_status status; /* NNSTATE_OK, or why the save failed */
  const char *message;   /* the error message ("" on success) */
  const char *path;      /* the save's (first) file */
  int64_t global_step;   /* the position the checkpoint holds */
  uint64_t bytes;        /* bytes of the files completed */
  int32_t asynchronous;  /* non-zero: written by the background thread */
} nnstate_save_info;
/* Runs on the thread of nnstate_trainer_fit (or of the call that waits for the save). Returning
 * non-zero stops training, resumably, as the other callbacks do. */
typedef int32_t (*nnstate_save_callback)(const nnstate_save_info *info, void *user_data);

#define NNSTATE_SAVE_WAIT 0 /* a save due while one is written waits for it */
#define NNSTATE_SAVE_SKIP 1 /* ... or, for periodic saves, is skipped (and counted) */

/* When nnstate_trainer_fit writes checkpoints into a directory. Files: ckpt-e<epoch>-s<step>.nnst
 * (periodic and on stop), best-e<epoch>.nnst and best.nnst (the best by `monitor`, always a
 * complete checkpoint). <epoch> is the number of completed epochs (as nnstate_trainer_position
 * reports), i.e. the 1-based number of the epoch the file ends: best-e000003.nnst holds the
 * third epoch's result (history row epoch 2, which is 0-based). The directory belongs to one
 * run at a time. */
typedef struct nnstate_checkpoint_policy {
  uint32_t struct_size;
  const char *directory; /* created if missing; copied */
  int64_t every_epochs;  /* save after every N epochs (default 1; 0: never) */
  int64_t every_steps;   /* save after every N batches (default 0: never) */
  int32_t on_stop;       /* non-zero (default): save when fit returns, whatever the reason */
  int64_t keep_last;     /* periodic checkpoints kept (default 3; 0: all) */
  int64_t keep_best;     /* best checkpoints kept (default 1; 0: no best tracking) */
  const char *monitor;   /* metric for "best" (default "val_loss"); copied. A fit without
                            validation data uses the training metric ("loss" for "val_loss")
                            and leaves a warning in nnstate_trainer_warnings */
  int32_t mode;          /* NNSTATE_MODE_* for monitor (default AUTO) */
  int32_t fsync;         /* non-zero (default): fsync each checkpoint and the directory */
  /* Added after 0.1.0 (a struct_size that ends before these gets their defaults): */
  int32_t async_save; /* non-zero: fit copies the state into a staging buffer it reuses and a
                         background thread writes the file, with the same crash-safety; fit goes
                         on meanwhile (default 0: saves are written on fit's thread). At most
                         one save is in flight, and fit returns only once all are on disk */
  int32_t when_busy;  /* NNSTATE_SAVE_WAIT (default) or _SKIP: what a periodic save does when
                         the previous one is still being written; best and final saves wait */
  uint64_t max_staging_bytes;    /* bound of the staging buffer (default 0: none); a state
                                    whose tensors need more is saved synchronously */
  nnstate_save_callback on_save; /* optional: each save's outcome (NULL: none) */
  void *on_save_user_data;
} nnstate_checkpoint_policy;

/* Fills the defaults above (directory NULL: set it). Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_checkpoint_policy_init(nnstate_checkpoint_policy *policy);
/* Sets (or, with NULL, removes) the trainer's checkpoint policy. Leftover temporary files of a
 * killed save in the directory are removed. Errors: INVALID_ARGUMENT (NULL trainer or
 * directory, negative counts, unknown monitor), VERSION, IO (directory cannot be created). */
NNSTATE_API nnstate_status nnstate_trainer_set_checkpointing(
    nnstate_trainer *trainer, const nnstate_checkpoint_policy *policy);
/* Resumes from the newest ckpt-*.nnst in `directory` that verifies completely. Invalid files
 * (e.g. corrupted by a crash) are skipped with a warning (nnstate_trainer_warnings); finding
 * none is not an error: *found is set to 0 (1 when resumed; `found` may be NULL). A file that
 * is valid but does not fit this trainer is an error, as for nnstate_trainer_resume (and it is
 * memory-mapped as there). */
NNSTATE_API nnstate_status nnstate_trainer_resume_latest(nnstate_trainer *trainer,
                                                         const char *directory, int32_t *found);
/* Warnings of the last resume (newline-separated; "" when none): skipped files, a different
 * OpenBLAS core type or thread count; a fit appends the checkpoint policy's monitor fallback
 * (see nnstate_checkpoint_policy.monitor). Owned by the trainer, valid until the next resume,
 * fit or nnstate_trainer_free. Never NULL; "" for a NULL trainer. */
NNSTATE_API const char *nnstate_trainer_warnings(const nnstate_trainer *trainer);

/* ---- Networks as JSON documents ---------------------------------------------------------- */

/* A whole network as one JSON document, the content of a checkpoint's architecture section:
 *   {"input_shape": [1, 28, 28],
 *    "nodes": [{"kind": "Conv2d", "name": "conv1", "in_channels": 1, "out_channels": 8,
 *               "kernel_size": 3}, {"kind": "ReLU"}, ...]}
 * "nodes" lists node objects exactly as nnstate_network_add_node takes them, in order (each may
 * name earlier nodes as inputs). "input_shape" is one sample's shape without the batch dimension
 * (1 to 3 positive integers); it may be left out when the first node fixes it (Linear,
 * Embedding). The document describes the network's modules only: loss, optimizer and seed are
 * set apart, as for a torch.nn.Module. Limits: 8 MiB of text, 16384 nodes, 16 levels of nesting.
 */

/* Creates a network (as nnstate_network_create with `seed`) and builds the document's nodes
 * into it, initialised as the same nnstate_network_add_node calls would be. The string is
 * copied. Errors: INVALID_ARGUMENT (NULL; invalid JSON, unknown, duplicate or missing field,
 * limits exceeded, and every refusal of nnstate_network_add_node: the message names the node,
 * by index and name when it has one, and the field), SHAPE_MISMATCH and STATE as for
 * nnstate_network_add_node, OUT_OF_MEMORY. On error *out is NULL: nothing is half-built.
 * Free with nnstate_network_free. */
NNSTATE_API nnstate_status nnstate_network_create_from_json(nnstate_network **out, const char *json,
                                                            uint64_t seed);
/* The network's document, one node a line, every argument written out; inputs are the names of
 * named nodes, else indices. nnstate_network_create_from_json of it with the same seed rebuilds
 * the same network with the same initial weights. The buffer convention is
 * nnstate_network_node_json's (ask with buffer NULL; SHAPE_MISMATCH sets *size_out to the size
 * needed, NUL included). Errors: INVALID_ARGUMENT (NULL network or size_out), SHAPE_MISMATCH. */
NNSTATE_API nnstate_status nnstate_network_to_json(const nnstate_network *network, char *buffer,
                                                   size_t capacity, size_t *size_out);
/* The document of the network stored in an open checkpoint, read from its architecture alone
 * (no tensor is built): the same text as nnstate_network_to_json of the network the file
 * rebuilds. Same buffer convention and errors (INVALID_ARGUMENT for a NULL checkpoint). */
NNSTATE_API nnstate_status nnstate_checkpoint_network_json(const nnstate_checkpoint *checkpoint,
                                                           char *buffer, size_t capacity,
                                                           size_t *size_out);

/* What node `index` is, beyond its description (nnstate_network_node_json gives its name,
 * inputs and arguments): its kind (NNSTATE_LAYER_*), its number of inputs, the shape of one
 * sample of its output without the batch dimension (rank and dims, room for 4; unused dims 0)
 * and its number of trainable scalars. Every output is optional. Errors: INVALID_ARGUMENT (NULL
 * network, index out of range), STATE (rank or dims asked while the input shape is unknown). */
NNSTATE_API nnstate_status nnstate_network_node_info(const nnstate_network *network, size_t index,
                                                     int32_t *kind, int32_t *input_count,
                                                     int32_t *rank, int64_t *dims,
                                                     uint64_t *parameter_count);

/* ---- Gradient clipping, accumulation and divergence rollback ------------------------------ */

/* What every optimizer step of nnstate_trainer_fit does to the gradients, with PyTorch's
 * meaning. Per micro-batch of batch_size samples: forward, loss, backward of loss /
 * accumulate_steps; every accumulate_steps micro-batches (and at each epoch's end, for the
 * epoch's last, incomplete group) the summed gradients are clipped -- clip_grad_value_ first,
 * then clip_grad_norm_ -- and the optimizer steps once. A per-batch schedule steps per update;
 * BatchNorm and Dropout see each micro-batch. Positions, callbacks and checkpoint policies
 * count micro-batches; a checkpoint between micro-batches holds the partial sums. */
typedef struct nnstate_step_options {
  uint32_t struct_size;
  double clip_grad_norm;           /* torch.nn.utils.clip_grad_norm_'s max_norm: gradients scaled by
                                      min(1, max_norm / (total_norm + 1e-6)); 0 (default): off */
  double clip_norm_type;           /* the norm's order: 2 (default), any p > 0, or INFINITY */
  int32_t clip_error_if_nonfinite; /* non-zero: a NaN or infinite total norm fails the fit with
                                      INVALID_ARGUMENT (as PyTorch raises); default 0 */
  double clip_grad_value;          /* clip_grad_value_'s clip_value: each element clamped to
                                      [-v, v]; 0 (default): off */
  int64_t accumulate_steps;        /* micro-batches per optimizer step (default 1) */
} nnstate_step_options;

/* Divergence rollback: when a micro-batch's training loss is NaN or infinite (or more than
 * spike_factor times the recent average: an exponential moving average, weight 0.1 for the
 * newest, of accepted losses, used after 10), or clip_grad_norm's total norm is not finite,
 * fit restores the last good snapshot -- every network tensor (parameters and buffers) and the
 * optimizer's state, copied every snapshot_every optimizer steps when all of it is finite, and
 * when fit starts -- drops the unfinished accumulation group, multiplies the learning rate by
 * lr_factor, skips the offending batch (and skip_batches - 1 more: they count in the position
 * but not in the epoch's loss), records the event and goes on. The next divergence after
 * max_rollbacks rollbacks restores the snapshot and ends the run: NNSTATE_STOP_DIVERGED. The
 * snapshot, counters and events are checkpointed (a resumed run rolls back identically). */
typedef struct nnstate_rollback_options {
  uint32_t struct_size;
  int32_t enabled;        /* non-zero: on (default 0) */
  int64_t max_rollbacks;  /* default 3 */
  double lr_factor;       /* in (0, 1]; default 0.5 */
  int64_t skip_batches;   /* >= 1, the offending batch included; default 1 */
  int64_t snapshot_every; /* optimizer steps between snapshots, >= 1; default 50 */
  double spike_factor;    /* 0 (default): no spike test; else a value > 1 */
} nnstate_rollback_options;

/* Fill with the defaults above. Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_step_options_init(nnstate_step_options *options);
NNSTATE_API nnstate_status nnstate_rollback_options_init(nnstate_rollback_options *options);

/* Set between fits (not from fit's callbacks); NULL restores the defaults. A resume requires
 * the settings of the saved run: set them before nnstate_trainer_resume.
 * Errors: INVALID_ARGUMENT (NULL trainer, invalid values, naming the field), VERSION
 * (struct_size), STATE (a different accumulate_steps with an unfinished group). */
NNSTATE_API nnstate_status nnstate_trainer_set_step_options(nnstate_trainer *trainer,
                                                            const nnstate_step_options *options);
NNSTATE_API nnstate_status nnstate_trainer_set_rollback(nnstate_trainer *trainer,
                                                        const nnstate_rollback_options *options);

#define NNSTATE_DIVERGENCE_NONFINITE_LOSS 0
#define NNSTATE_DIVERGENCE_LOSS_SPIKE 1
#define NNSTATE_DIVERGENCE_NONFINITE_GRAD_NORM 2

/* One rollback, as the history of a run records it. */
typedef struct nnstate_rollback_event {
  uint32_t struct_size;
  int64_t epoch;         /* 0-based epoch of the offending batch */
  int64_t batch;         /* its 1-based number in the epoch */
  int64_t global_step;   /* batches done in the run, the offending one included */
  int64_t restored_step; /* optimizer steps done when the restored snapshot was taken */
  double loss;           /* the offending loss */
  double lr;             /* the learning rate after the event */
  int32_t reason;        /* NNSTATE_DIVERGENCE_* */
  int32_t gave_up;       /* non-zero: max_rollbacks were used up and the run ended here */
} nnstate_rollback_event;

/* The rollbacks of the run so far (kept across save and resume). `event->struct_size` must be
 * set by the caller. Errors: INVALID_ARGUMENT (NULL, index out of range), VERSION. */
NNSTATE_API nnstate_status nnstate_trainer_rollback_count(const nnstate_trainer *trainer,
                                                          size_t *out);
NNSTATE_API nnstate_status nnstate_trainer_rollback_event(const nnstate_trainer *trainer,
                                                          size_t index,
                                                          nnstate_rollback_event *event);

/* ---- Asynchronous checkpoint saves ------------------------------------------------------- */

/* Waits until the checkpoint policy's save in flight (if any) is on disk and reports it:
 * returns its error (and calls on_save) if it failed and was not reported yet. A background
 * save's failure is otherwise reported by the next nnstate_trainer_fit, _save, _resume,
 * _resume_latest or _set_checkpointing of this trainer; nnstate_trainer_free waits too, but
 * cannot report. Errors: INVALID_ARGUMENT (NULL), the failed save's status (IO, ...). */
NNSTATE_API nnstate_status nnstate_trainer_flush_saves(nnstate_trainer *trainer);

/* Counters of the trainer's checkpoint policy since it was set (zeros without one). */
typedef struct nnstate_save_stats {
  uint32_t struct_size;
  int64_t completed;             /* saves whose files are all on disk */
  int64_t failed;                /* saves that failed (each reported once) */
  int64_t skipped;               /* periodic saves skipped by NNSTATE_SAVE_SKIP */
  int64_t waited;                /* saves that waited for the one in flight */
  int64_t synchronous_fallbacks; /* async saves written synchronously (max_staging_bytes) */
  uint64_t bytes_written;        /* bytes of all completed checkpoint files */
  uint64_t staging_peak_bytes;   /* the largest size of the staging buffer */
  int32_t in_flight;             /* non-zero while a save is being written */
  double stall_seconds; /* wall time fit's thread spent in saves: waiting for the one in flight,
                           snapshot and staging copy, or a synchronous write (a measurement) */
} nnstate_save_stats;
/* `stats->struct_size` must be set by the caller. Errors: INVALID_ARGUMENT (NULL), VERSION. */
NNSTATE_API nnstate_status nnstate_trainer_save_stats(const nnstate_trainer *trainer,
                                                      nnstate_save_stats *stats);

/* ---- safetensors and partial loads (weights in and out) ---------------------------------- */

/* Writes the network's parameters and buffers to a .safetensors file (the format of the
 * safetensors project) with PyTorch state_dict names and layouts, so that safetensors' readers
 * give a dict that torch.nn.Module.load_state_dict(strict=True) of the equivalent module takes.
 * Dtypes: F32, except BatchNorm's num_batches_tracked, I64 as in PyTorch. The header's
 * __metadata__ holds "format": "pt", "nnstate.architecture" (the nnstate_network_to_json
 * document), "nnstate.version" and options' metadata pairs (keys other than those). Written
 * crash-safely as nnstate_checkpoint_save (temporary file, fsync when options->fsync, rename):
 * on failure the previous file is untouched. `options` may be NULL.
 * Errors: INVALID_ARGUMENT (NULL, bad or reserved metadata key), VERSION (struct_size), IO. */
NNSTATE_API nnstate_status nnstate_network_save_safetensors(nnstate_network *network,
                                                            const char *path,
                                                            const nnstate_save_options *options);

/* What a load did: lists of tensor names, read with nnstate_load_report_count/_name and freed
 * with nnstate_load_report_free. */
typedef struct nnstate_load_report nnstate_load_report;
#define NNSTATE_REPORT_LOADED 0     /* network tensors loaded */
#define NNSTATE_REPORT_SKIPPED 1    /* file tensors matched by a skip pattern */
#define NNSTATE_REPORT_MISSING 2    /* network tensors the file does not have */
#define NNSTATE_REPORT_UNEXPECTED 3 /* file tensors (after renaming) the network does not have */
#define NNSTATE_REPORT_MISMATCHED                                \
  4 /* network tensors whose file tensor has another shape, or a \
       dtype that is not a float */

/* Loads a .safetensors file into a network the caller built, by name. F32 is read as is; F16,
 * BF16, F64 and I64 are converted to float32. The file is untrusted: its header is validated
 * completely (length bounded, no duplicate key, every dtype, shape and offset checked) before
 * any tensor is read; refusals are CORRUPT naming the tensor and what is wrong. strict non-zero:
 * every missing, unexpected or mis-shaped tensor is listed by name and shape in the message
 * (SHAPE_MISMATCH, or NOT_FOUND when only names differ) and nothing is changed; strict 0: the
 * matching tensors are loaded and the others listed in the report. `report` may be NULL; else
 * *report receives a new report on success (NULL on error).
 * Errors: INVALID_ARGUMENT, NOT_FOUND, IO, CORRUPT, SHAPE_MISMATCH. */
NNSTATE_API nnstate_status nnstate_network_load_safetensors(nnstate_network *network,
                                                            const char *path, int32_t strict,
                                                            nnstate_load_report **report);

/* A partial load: a subset of the tensors of a checkpoint or a .safetensors file (told apart by
 * their first bytes) into a network of another shape, as fine-tuning does. */
typedef struct nnstate_partial_load_options {
  uint32_t struct_size; /* sizeof(nnstate_partial_load_options), set by _init */
  int32_t strict;       /* non-zero: every difference is an error as above (default 0) */
  /* Prefix renames: a file name starting with rename_from[i] gets rename_to[i] instead of that
   * prefix ("backbone." -> "features."); the first matching pair applies. NULL when 0. */
  const char *const *rename_from;
  const char *const *rename_to;
  size_t rename_count;
  /* fnmatch(3) patterns ('*' matches dots too) of file names (before renaming) to leave out,
   * e.g. "fc.*". NULL when 0. */
  const char *const *skip_patterns;
  size_t skip_count;
} nnstate_partial_load_options;

/* Fills the defaults above. Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_partial_load_options_init(nnstate_partial_load_options *options);
/* Loads the file's tensors whose (renamed) names and shapes match the network's, from a
 * checkpoint (its parameters and buffers, each CRC-checked) or a .safetensors file. `options`
 * may be NULL (defaults); `report` as for nnstate_network_load_safetensors. Two file names
 * renamed to one are INVALID_ARGUMENT. As with nnstate_checkpoint_load_into, a checkpoint
 * tensor whose CRC fails while it is read (CORRUPT) leaves the network partly overwritten.
 * Errors: as nnstate_network_load_safetensors, VERSION. */
NNSTATE_API nnstate_status nnstate_network_load_partial(nnstate_network *network, const char *path,
                                                        const nnstate_partial_load_options *options,
                                                        nnstate_load_report **report);

/* The number of names in a report's list (NNSTATE_REPORT_*), and name `index` of it (owned by
 * the report, valid until it is freed). Errors: INVALID_ARGUMENT (NULL, unknown list, index out
 * of range). */
NNSTATE_API nnstate_status nnstate_load_report_count(const nnstate_load_report *report,
                                                     int32_t list, size_t *out);
NNSTATE_API nnstate_status nnstate_load_report_name(const nnstate_load_report *report, int32_t list,
                                                    size_t index, const char **out);
/* Releases a report. NULL is ignored. */
NNSTATE_API void nnstate_load_report_free(nnstate_load_report *report);

/* The value of `key` in a .safetensors file's __metadata__ (e.g. "nnstate.architecture", which
 * nnstate_network_create_from_json takes), with the buffer convention of
 * nnstate_network_to_json (ask with buffer NULL; SHAPE_MISMATCH sets *size_out to the size
 * needed, NUL included). The header is validated as by nnstate_network_load_safetensors.
 * Errors: INVALID_ARGUMENT (NULL path, key or size_out), NOT_FOUND (no such file or key), IO,
 * CORRUPT, SHAPE_MISMATCH. */
NNSTATE_API nnstate_status nnstate_safetensors_metadata(const char *path, const char *key,
                                                        char *buffer, size_t capacity,
                                                        size_t *size_out);

/* ---- Deterministic-across-scale mode (chunked training) ------------------------------------
 * With chunk_size > 0, every pass of the network over a batch (train_step, a trainer's fit,
 * evaluate, predict) cuts the batch into chunks of chunk_size samples (the last one smaller),
 * runs each chunk with single-threaded BLAS on `threads` library-owned threads (0: OpenBLAS's
 * thread count; idle threads sleep instead of spinning) and adds the chunks' gradients, losses
 * and BatchNorm statistics in one fixed order. The results then do not depend on the thread
 * count: 1 and 2 threads give bitwise-identical weights. BatchNorm uses the whole batch's
 * statistics and dropout masks depend only on each sample's index in the batch, as without
 * chunks; the bits differ from the mode being off (chunk_size 0, the default). A trainer's
 * checkpoints record the chunk size, and resuming with another one warns. Set it after the
 * layers, before training. Errors: INVALID_ARGUMENT (NULL, chunk_size outside [0, 2^30],
 * threads outside [0, 1024]). */
NNSTATE_API nnstate_status nnstate_network_set_deterministic(nnstate_network *network,
                                                             int64_t chunk_size, int32_t threads);
/* The mode's settings: chunk_size 0 when it is off; threads as resolved (0 when off). Either
 * pointer may be NULL. Errors: INVALID_ARGUMENT (NULL network). */
NNSTATE_API nnstate_status nnstate_network_deterministic(const nnstate_network *network,
                                                         int64_t *chunk_size, int32_t *threads);

/* ---- Data-parallel collectives (the MPI component, mpi/, provides one) --------------------
 * The processes (ranks) of a data-parallel run each hold a replica of the network in the
 * deterministic mode and call the same functions with the same data. With a collective set,
 * every pass over a batch computes only this rank's share of the chunks (rank r of size takes
 * chunks [ceil(r n / size), ceil((r + 1) n / size)) of n) and gathers every chunk's gradients,
 * losses, accuracy counts, BatchNorm statistics and outputs through the callbacks, so that all
 * ranks reduce them alike and hold the same bits as one process (BatchNorm: when synchronised,
 * nnstate_network_set_batchnorm_sync; per rank is the default). Callbacks return 0 on success;
 * any other value fails the pass with NNSTATE_ERR_IO. */
typedef struct nnstate_collective {
  uint32_t struct_size;
  int64_t rank; /* this process, in [0, size) */
  int64_t size; /* processes of the run (default 1) */
  /* In place: `buffer` holds `size` blocks, block r of bytes[r] bytes at offset offset[r];
   * this rank's block is filled, and on return every block must be. */
  int32_t (*allgather)(void *buffer, const int64_t *bytes, const int64_t *offset, void *user_data);
  /* `bytes` bytes of `buffer` from rank `root` to every rank. */
  int32_t (*broadcast)(void *buffer, int64_t bytes, int64_t root, void *user_data);
  /* Optional: called once the library no longer uses user_data (replaced, removed, or the
   * network freed). */
  void (*release)(void *user_data);
  void *user_data;
} nnstate_collective;
/* Fills the defaults (size 1, rank 0, no callbacks). Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_collective_init(nnstate_collective *collective);
/* Sets (copied) or, with NULL, removes the network's collective; on success the library owns
 * user_data until it calls release, on an error the caller keeps it. Needs the deterministic
 * mode to take effect. Errors: INVALID_ARGUMENT (NULL network, rank outside [0, size), a
 * missing allgather or broadcast), VERSION (struct_size). */
NNSTATE_API nnstate_status nnstate_network_set_collective(nnstate_network *network,
                                                          const nnstate_collective *collective);
/* Sets this thread's nnstate_last_error() to `message` (copied; NULL: "") and returns
 * `status`: for companion libraries (such as libnnstate_mpi) that report errors like
 * libnnstate's own. NNSTATE_OK clears the message. */
NNSTATE_API nnstate_status nnstate_report_error(nnstate_status status, const char *message);

/* ---- Fast loading and lazy checks (issue 15) ------------------------------------------------
 * Rebuilds a network as nnstate_checkpoint_load does (same options, checks, errors and
 * messages), but its large tensors (1 MiB and more) are not copied: each becomes a private,
 * copy-on-write mapping of the file's pages, checked where it lies. Loading then costs about a
 * read of the file, and a network used for inference (predict, evaluate) takes no memory for
 * its weights beyond the page cache; training copies each 4 KiB page it first writes. The file
 * must not be truncated or rewritten in place while the network lives (the process would get
 * SIGBUS, or see the new values), as for nnstate_checkpoint_open; replacing it by a rename, as
 * nnstate_checkpoint_save does, is safe. */
NNSTATE_API nnstate_status nnstate_checkpoint_load_mapped(nnstate_network **out, const char *path,
                                                          const nnstate_load_options *options);
/* Checks one tensor of an open checkpoint against its stored CRC32C, in the mapping: with a
 * handle opened with verify_crc off (which opens in constant time, whatever the file's size),
 * the tensors used can be checked as they are needed. Errors: INVALID_ARGUMENT (NULL),
 * NOT_FOUND (no such tensor), CORRUPT (the CRC differs; the message names the tensor). */
NNSTATE_API nnstate_status nnstate_checkpoint_verify_tensor(const nnstate_checkpoint *checkpoint,
                                                            const char *name);

/* ---- Frozen parameters and parameter groups (format 1.3) --------------------------------- */

/* A name pattern selects parameters: a tensor name ("fc.weight") or a module name ("features"
 * or "features." -- the same: every parameter inside that module, never "features2.weight"). */

/* Freezes (requires_grad 0: PyTorch requires_grad=False, Keras trainable=False) or unfreezes
 * (requires_grad non-zero) the parameters `pattern` selects. Frozen parameters get no update and
 * no optimizer state (Adam's moments are dropped, none are saved), and layers with nothing
 * trainable at or before them run no backward. When the set changes under an optimizer, the
 * parameters that keep training keep their state and newly unfrozen ones start fresh (step 0,
 * zero moments), as a torch optimizer does for a parameter it has no state for. The frozen set
 * is saved in checkpoints; loading (NNSTATE_LOAD_FULL) and resuming restore it, and it may be
 * changed again afterwards. Errors: INVALID_ARGUMENT (NULL, "" or "."), NOT_FOUND (the pattern
 * selects no parameter; the message names it). */
NNSTATE_API nnstate_status nnstate_network_set_requires_grad(nnstate_network *network,
                                                             const char *pattern,
                                                             int32_t requires_grad);
/* Whether the parameter `name` is frozen (1) or trains (0).
 * Errors: INVALID_ARGUMENT (NULL), NOT_FOUND (no parameter of that name; the message names it). */
NNSTATE_API nnstate_status nnstate_network_is_frozen(const nnstate_network *network,
                                                     const char *name, int32_t *out);
/* The frozen parameters, sorted by name: their number and the name at `index` (owned by the
 * network, valid until its frozen set changes). Errors: INVALID_ARGUMENT (NULL, index out of
 * range). */
NNSTATE_API nnstate_status nnstate_network_frozen_count(const nnstate_network *network,
                                                        size_t *out);
NNSTATE_API nnstate_status nnstate_network_frozen_name(const nnstate_network *network, size_t index,
                                                       const char **out);
/* Non-zero: BatchNorm layers whose parameters are all frozen run in eval mode also while
 * training (running statistics used and not updated), as fine-tuning recipes do with
 * module.eval(). Saved in checkpoints. Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_network_set_frozen_batchnorm_eval(nnstate_network *network,
                                                                     int32_t eval);
/* The option above (1 or 0). Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_network_get_frozen_batchnorm_eval(const nnstate_network *network,
                                                                     int32_t *out);

/* One parameter group (torch's optimizer.param_groups[k]): the parameters its patterns select
 * and its own options. _init sets every option to NaN, which means the optimizer's value (the
 * default group's), as a torch group dict without that key. */
typedef struct nnstate_param_group_options {
  uint32_t struct_size;        /* sizeof(nnstate_param_group_options), set by _init */
  const char *const *patterns; /* pattern_count name patterns, copied */
  size_t pattern_count;
  double lr;
  double beta1, beta2, eps; /* Adam, AdamW */
  double weight_decay;
} nnstate_param_group_options;
/* Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_param_group_options_init(nnstate_param_group_options *options);
/* Sets the network's optimizer with parameter groups: `options` are the default group's (the
 * parameters no group selects), `groups` (group_count of them; NULL when 0) the others, in
 * order: group k of this call is group k + 1 of the getters below (0 is the default group).
 * State starts fresh. A group may select only frozen parameters.
 * Errors: INVALID_ARGUMENT (NULL, invalid options naming the group, a parameter selected by two
 * groups, naming it), NOT_FOUND (a pattern selecting no parameter, naming it), VERSION
 * (struct_size), STATE (no layers). */
NNSTATE_API nnstate_status nnstate_network_set_optimizer_groups(
    nnstate_network *network, const nnstate_optimizer_options *options,
    const nnstate_param_group_options *groups, size_t group_count);
/* The optimizer's groups, the default group (index 0) included. Errors: INVALID_ARGUMENT
 * (NULL), STATE (no optimizer). */
NNSTATE_API nnstate_status nnstate_network_param_group_count(const nnstate_network *network,
                                                             size_t *out);

/* What a group holds now (lr as the schedule left it). */
typedef struct nnstate_param_group_info {
  uint32_t struct_size; /* set by the caller */
  double lr;
  double beta1, beta2, eps;
  double weight_decay;
  size_t pattern_count;   /* 0 for the default group */
  size_t parameter_count; /* trainable parameters in the group (frozen ones are in none) */
} nnstate_param_group_info;
/* Errors: INVALID_ARGUMENT (NULL, group out of range), VERSION (struct_size), STATE (no
 * optimizer). */
NNSTATE_API nnstate_status nnstate_network_param_group(const nnstate_network *network, size_t group,
                                                       nnstate_param_group_info *info);
/* Pattern `index` of `group` (owned by the network, valid until its optimizer is replaced).
 * Errors: INVALID_ARGUMENT (NULL, out of range), STATE (no optimizer). */
NNSTATE_API nnstate_status nnstate_network_param_group_pattern(const nnstate_network *network,
                                                               size_t group, size_t index,
                                                               const char **out);
/* The group of the trainable parameter `name`. Errors: INVALID_ARGUMENT (NULL), NOT_FOUND (no
 * parameter of that name), STATE (no optimizer; the parameter is frozen: it is in no group). */
NNSTATE_API nnstate_status nnstate_network_param_group_of(const nnstate_network *network,
                                                          const char *name, size_t *out);
/* Sets one group's rate (nnstate_network_set_lr sets the default group's). Errors:
 * INVALID_ARGUMENT (NULL, group out of range, lr negative or not finite), STATE (no
 * optimizer). */
NNSTATE_API nnstate_status nnstate_network_set_group_lr(nnstate_network *network, size_t group,
                                                        double lr);
/* ReduceLROnPlateau's min_lr per parameter group (torch's min_lr list): values[k] for group
 * k + 1; count must equal the groups besides the default (which keeps the scheduler's min_lr);
 * count 0 goes back to min_lr for all. Saved in checkpoints; a resume requires the same list.
 * Errors: INVALID_ARGUMENT (NULL trainer, NULL values with count > 0, a negative value), STATE
 * (no ReduceLROnPlateau, or count differs from the network's groups). */
NNSTATE_API nnstate_status nnstate_trainer_set_group_min_lr(nnstate_trainer *trainer,
                                                            const double *values, size_t count);

/* ---- BatchNorm over the ranks of a data-parallel run (issue 17) ----------------------------
 * With a collective of more than one rank, BatchNorm normalises either per rank (the default,
 * as PyTorch DDP: each rank uses the statistics of its own chunks, and every rank's running
 * statistics are updated with rank 0's, as DDP's broadcast_buffers) or synchronised (as
 * SyncBatchNorm: the whole global batch's statistics, the same bits as one process at any rank
 * count). Per rank, the results depend on the rank count. Weights are the same on every rank
 * either way. Without a collective, or with one rank, both are the same. A runtime setting,
 * like the collective: not saved in checkpoints, set it again after loading. Errors:
 * INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_network_set_batchnorm_sync(nnstate_network *network,
                                                              int32_t synchronised);
/* *synchronised: 1 when synchronised, 0 per rank. Errors: INVALID_ARGUMENT (NULL). */
NNSTATE_API nnstate_status nnstate_network_batchnorm_sync(const nnstate_network *network,
                                                          int32_t *synchronised);

#ifdef __cplusplus
}
#endif

#endif /* NNSTATE_NNSTATE_H */
