package org.nnstate;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A network with its loss, optimizer and random streams (nnstate_network). The add methods
 * append to the last node and return this, so a stack is one chain:
 * <pre>
 *   try (Network net = new Network(42)) {
 *     net.addLinear(2, 8).addTanh().addLinear(8, 1)
 *        .setLoss(Loss.BCE_WITH_LOGITS).setOptimizer(OptimizerOptions.adam().lr(0.05));
 *   }
 * </pre>
 * Graph nodes with names and inputs go through {@link #addNode(Node)}. Data is row-major,
 * sample after sample: float[] (copied by JNA for the call) or direct FloatBuffers in the
 * platform's byte order (used in place). Closing a network closes the trainers built on it.
 */
public final class Network extends NativeObject {
  static final String WHAT = "network";

  /** An empty network; `seed` derives every random stream. */
  public Network(long seed) {
    this(create(seed));
  }

  Network(Pointer pointer) {
    super(new NativeHandle(pointer, NativeApi.LIB::nnstate_network_free, WHAT, null));
  }

  private static Pointer create(long seed) {
    PointerByReference out = new PointerByReference();
    Status.check(NativeApi.LIB.nnstate_network_create(out, seed));
    return out.getValue();
  }

  // ---- Layers of the stack API
  public Network addLinear(long in, long out) {
    return addLinear(in, out, true);
  }

  public Network addLinear(long in, long out, boolean bias) {
    call(p -> NativeApi.LIB.nnstate_network_add_linear(p, in, out, bias ? 1 : 0));
    return this;
  }

  /** An element-wise activation: RELU, TANH, SIGMOID or GELU. */
  public Network addActivation(LayerKind kind) {
    Buffers.notNull(kind, "kind");
    call(p -> NativeApi.LIB.nnstate_network_add_activation(p, kind.code));
    return this;
  }

  public Network addRelu() {
    return addActivation(LayerKind.RELU);
  }

  public Network addTanh() {
    return addActivation(LayerKind.TANH);
  }

  public Network addSigmoid() {
    return addActivation(LayerKind.SIGMOID);
  }

  /** GELU (exact). */
  public Network addGelu() {
    return addGelu(false);
  }

  /** GELU with approximate="tanh" when `tanhApproximation`. */
  public Network addGelu(boolean tanhApproximation) {
    call(p -> NativeApi.LIB.nnstate_network_add_gelu(p, tanhApproximation ? 1 : 0));
    return this;
  }

  /** LeakyReLU with PyTorch's default slope 0.01. */
  public Network addLeakyRelu() {
    return addLeakyRelu(0.01f);
  }

  public Network addLeakyRelu(float negativeSlope) {
    call(p -> NativeApi.LIB.nnstate_network_add_leaky_relu(p, negativeSlope));
    return this;
  }

  /** The shape of one input sample, e.g. (1, 28, 28); before the first layer. */
  public Network setInputShape(long... dims) {
    Buffers.notNull(dims, "dims");
    call(p -> NativeApi.LIB.nnstate_network_set_input_shape(p, dims, dims.length));
    return this;
  }

  public Network addConv2d(long inChannels, long outChannels, long kernelSize) {
    return addConv2d(new Conv2dOptions(inChannels, outChannels, kernelSize));
  }

  public Network addConv2d(Conv2dOptions options) {
    Buffers.notNull(options, "options");
    call(p -> NativeApi.LIB.nnstate_network_add_conv2d(p, options.struct));
    return this;
  }

  /** MaxPool2d with a square kernel, stride = kernel, no padding. */
  public Network addMaxPool2d(long kernelSize) {
    return addMaxPool2d(kernelSize, kernelSize, 0, 0, 0, 0);
  }

  /** MaxPool2d; a stride of 0 means the kernel size (PyTorch's stride=None). */
  public Network addMaxPool2d(long kh, long kw, long sh, long sw, long ph, long pw) {
    call(p -> NativeApi.LIB.nnstate_network_add_max_pool2d(p, kh, kw, sh, sw, ph, pw));
    return this;
  }

  public Network addFlatten() {
    call(NativeApi.LIB::nnstate_network_add_flatten);
    return this;
  }

  /** BatchNorm1d with PyTorch's defaults (eps 1e-5, momentum 0.1, affine, tracking). */
  public Network addBatchNorm1d(long features) {
    return addBatchNorm(1, features, 1e-5, 0.1, true, true);
  }

  public Network addBatchNorm2d(long features) {
    return addBatchNorm(2, features, 1e-5, 0.1, true, true);
  }

  /** BatchNorm1d (dims 1) or BatchNorm2d (dims 2). */
  public Network addBatchNorm(int dims, long features, double eps, double momentum,
      boolean affine, boolean trackRunningStats) {
    call(p -> NativeApi.LIB.nnstate_network_add_batch_norm(
        p, dims, features, eps, momentum, affine ? 1 : 0, trackRunningStats ? 1 : 0));
    return this;
  }

  public Network addDropout(double p) {
    call(h -> NativeApi.LIB.nnstate_network_add_dropout(h, p));
    return this;
  }

  /** LayerNorm over the trailing dims `normalizedShape`, eps 1e-5, elementwise affine. */
  public Network addLayerNorm(long... normalizedShape) {
    return addLayerNorm(normalizedShape, 1e-5, true);
  }

  public Network addLayerNorm(long[] normalizedShape, double eps, boolean elementwiseAffine) {
    Buffers.notNull(normalizedShape, "normalizedShape");
    call(p -> NativeApi.LIB.nnstate_network_add_layer_norm(
        p, normalizedShape, normalizedShape.length, eps, elementwiseAffine ? 1 : 0));
    return this;
  }

  // ---- Nodes of any kind (nnstate_network_add_node)

  /** Adds a node described in JSON; returns its index. */
  public long addNode(String json) {
    Buffers.notNull(json, "node description");
    long[] index = {-1};
    call(p -> NativeApi.LIB.nnstate_network_add_node(p, json, index));
    return index[0];
  }

  public long addNode(Node node) {
    Buffers.notNull(node, "node");
    return addNode(node.toJson());
  }

  /** AvgPool2d with a square kernel (stride = kernel). */
  public Network addAvgPool2d(long kernelSize) {
    addNode(Node.of(LayerKind.AVG_POOL2D).arg("kernel_size", kernelSize));
    return this;
  }

  public Network addAdaptiveAvgPool2d(long outH, long outW) {
    addNode(Node.of(LayerKind.ADAPTIVE_AVG_POOL2D).arg("output_size", new long[] {outH, outW}));
    return this;
  }

  public Network addIdentity() {
    addNode(Node.of(LayerKind.IDENTITY));
    return this;
  }

  public Network addSoftmax(long dim) {
    addNode(Node.of(LayerKind.SOFTMAX).arg("dim", dim));
    return this;
  }

  public Network addLogSoftmax(long dim) {
    addNode(Node.of(LayerKind.LOG_SOFTMAX).arg("dim", dim));
    return this;
  }

  public Network addEmbedding(long numEmbeddings, long embeddingDim) {
    addNode(Node.of(LayerKind.EMBEDDING).arg("num_embeddings", numEmbeddings)
        .arg("embedding_dim", embeddingDim));
    return this;
  }

  public Network addDropout2d(double p) {
    addNode(Node.of(LayerKind.DROPOUT2D).arg("p", p));
    return this;
  }

  /** A merge (ADD, CONCAT or MULTIPLY) of two or more earlier nodes (indices or names). */
  public long addMerge(LayerKind kind, Object... inputs) {
    return addNode(Node.of(kind).inputs(inputs));
  }

  /** Node `index`'s description, in the form addNode takes. */
  public String nodeJson(long index) {
    long[] size = {0};
    int status = callStatus(p -> NativeApi.LIB.nnstate_network_node_json(p, index, null, 0, size));
    if (status != Status.SHAPE_MISMATCH) {
      Status.check(status);
    }
    if (size[0] <= 0 || size[0] > Integer.MAX_VALUE) {
      throw new NnstateException(Status.INTERNAL, "node_json reported " + size[0] + " bytes");
    }
    byte[] buffer = new byte[(int) size[0]];
    call(p -> NativeApi.LIB.nnstate_network_node_json(p, index, buffer, buffer.length, size));
    return new String(buffer, 0, (int) size[0] - 1, StandardCharsets.UTF_8);
  }

  /** A call whose status the caller interprets (e.g. a size query). */
  private int callStatus(java.util.function.ToIntFunction<Pointer> f) {
    try {
      return f.applyAsInt(handle.get());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  // ---- Mode, sizes, loss, optimizer

  /** model.train() (true) or model.eval() (false) for predict and evaluate. */
  public Network setTraining(boolean training) {
    call(p -> NativeApi.LIB.nnstate_network_set_training_mode(p, training ? 1 : 0));
    return this;
  }

  public boolean isTraining() {
    int[] out = {0};
    call(p -> NativeApi.LIB.nnstate_network_get_training_mode(p, out));
    return out[0] != 0;
  }

  /** The deterministic-across-scale mode: batches run as chunks of chunkSize samples on
   * `threads` library threads (0: OpenBLAS's count), added in one fixed order, so every thread
   * count gives the same bits; chunkSize 0 turns it off. Set it after the layers. */
  public Network setDeterministic(long chunkSize, int threads) {
    call(p -> NativeApi.LIB.nnstate_network_set_deterministic(p, chunkSize, threads));
    return this;
  }

  /** The deterministic mode's chunk size, 0 when it is off. */
  public long deterministicChunkSize() {
    long[] chunk = {0};
    int[] threads = {0};
    call(p -> NativeApi.LIB.nnstate_network_deterministic(p, chunk, threads));
    return chunk[0];
  }

  public long layerCount() {
    long[] out = {0};
    call(p -> NativeApi.LIB.nnstate_network_layer_count(p, out));
    return out[0];
  }

  /** Floats in one input sample; STATE until a layer fixes it. */
  public long inputSize() {
    long[] out = {0};
    call(p -> NativeApi.LIB.nnstate_network_input_size(p, out));
    return out[0];
  }

  public long outputSize() {
    long[] out = {0};
    call(p -> NativeApi.LIB.nnstate_network_output_size(p, out));
    return out[0];
  }

  /** Trainable scalars, as sum(p.numel() for p in model.parameters()). */
  public long parameterCount() {
    long[] out = {0};
    call(p -> NativeApi.LIB.nnstate_network_parameter_count(p, out));
    return out[0];
  }

  public Network setLoss(Loss loss) {
    Buffers.notNull(loss, "loss");
    call(p -> NativeApi.LIB.nnstate_network_set_loss(p, loss.code));
    return this;
  }

  /** The optimizer over all parameters, with fresh state; after the last layer. */
  public Network setOptimizer(OptimizerOptions options) {
    Buffers.notNull(options, "options");
    call(p -> NativeApi.LIB.nnstate_network_set_optimizer(p, options.struct));
    return this;
  }

  public double lr() {
    double[] out = {0};
    call(p -> NativeApi.LIB.nnstate_network_get_lr(p, out));
    return out[0];
  }

  public Network setLr(double lr) {
    call(p -> NativeApi.LIB.nnstate_network_set_lr(p, lr));
    return this;
  }

  // ---- Training and inference

  /** One optimisation step on `batchSize` samples; returns the mean loss before the update. */
  public float trainStep(float[] inputs, float[] targets, long batchSize) {
    Buffers.notNull(inputs, "inputs");
    Buffers.notNull(targets, "targets");
    float[] loss = {0};
    call(p -> NativeApi.LIB.nnstate_network_train_step(
        p, inputs, inputs.length, targets, targets.length, batchSize, loss));
    return loss[0];
  }

  /** The same over the remaining floats of direct buffers, without copies. */
  public float trainStep(FloatBuffer inputs, FloatBuffer targets, long batchSize) {
    Pointer x = Buffers.address(inputs, "inputs", false);
    Pointer y = Buffers.address(targets, "targets", false);
    float[] loss = {0};
    try {
      call(p -> NativeApi.LIB.nnstate_network_train_step(
          p, x, inputs.remaining(), y, targets.remaining(), batchSize, loss));
    } finally {
      Reference.reachabilityFence(inputs);
      Reference.reachabilityFence(targets);
    }
    return loss[0];
  }

  /** Mean loss without an update, in the current mode (eval by default). */
  public float evaluate(float[] inputs, float[] targets, long batchSize) {
    Buffers.notNull(inputs, "inputs");
    Buffers.notNull(targets, "targets");
    float[] loss = {0};
    call(p -> NativeApi.LIB.nnstate_network_evaluate(
        p, inputs, inputs.length, targets, targets.length, batchSize, loss));
    return loss[0];
  }

  public float evaluate(FloatBuffer inputs, FloatBuffer targets, long batchSize) {
    Pointer x = Buffers.address(inputs, "inputs", false);
    Pointer y = Buffers.address(targets, "targets", false);
    float[] loss = {0};
    try {
      call(p -> NativeApi.LIB.nnstate_network_evaluate(
          p, x, inputs.remaining(), y, targets.remaining(), batchSize, loss));
    } finally {
      Reference.reachabilityFence(inputs);
      Reference.reachabilityFence(targets);
    }
    return loss[0];
  }

  /** Outputs of `batchSize` samples (batchSize * outputSize() floats). */
  public float[] predict(float[] inputs, long batchSize) {
    Buffers.notNull(inputs, "inputs");
    long count = Math.multiplyExact(batchSize, outputSize());
    if (count > Integer.MAX_VALUE - 8) {
      throw Status.shape(batchSize + " samples of " + outputSize()
          + " outputs do not fit a Java array: predict into a FloatBuffer");
    }
    float[] outputs = new float[(int) count];
    call(p -> NativeApi.LIB.nnstate_network_predict(
        p, inputs, inputs.length, batchSize, outputs, outputs.length));
    return outputs;
  }

  /** Writes batchSize * outputSize() floats into `outputs` (its remaining must equal that). */
  public void predict(FloatBuffer inputs, long batchSize, FloatBuffer outputs) {
    Pointer x = Buffers.address(inputs, "inputs", false);
    Pointer y = Buffers.address(outputs, "outputs", true);
    try {
      call(p -> NativeApi.LIB.nnstate_network_predict(
          p, x, inputs.remaining(), batchSize, y, outputs.remaining()));
    } finally {
      Reference.reachabilityFence(inputs);
      Reference.reachabilityFence(outputs);
    }
  }

  // ---- Tensors by name

  /** A named tensor: state_dict name, role (parameter or buffer) and shape. */
  public record TensorInfo(String name, int role, long[] shape) {
    public static final int PARAMETER = 0;
    public static final int BUFFER = 1;
    public static final int OPTIMIZER_STATE = 2;
    public static final int BEST_WEIGHT = 3;

    public long elements() {
      return Buffers.product(shape, shape.length);
    }

    @Override
    public String toString() {
      return name + Arrays.toString(shape);
    }
  }

  /** Every parameter and buffer in state_dict order. */
  public List<TensorInfo> tensors() {
    long[] count = {0};
    call(p -> NativeApi.LIB.nnstate_network_tensor_count(p, count));
    List<TensorInfo> out = new ArrayList<>();
    for (long i = 0; i < count[0]; ++i) {
      long index = i;
      PointerByReference name = new PointerByReference();
      int[] role = {0};
      int[] rank = {0};
      long[] dims = new long[4];
      call(p -> NativeApi.LIB.nnstate_network_tensor_info(p, index, name, role, rank, dims));
      out.add(new TensorInfo(Buffers.text(name.getValue()), role[0],
          Arrays.copyOf(dims, Math.min(Math.max(rank[0], 0), 4))));
    }
    return out;
  }

  private TensorInfo tensor(String name) {
    for (TensorInfo info : tensors()) {
      if (info.name().equals(name)) {
        return info;
      }
    }
    throw new NnstateException(Status.NOT_FOUND, "the network has no tensor named " + name);
  }

  /** A copy of a tensor's values. */
  public float[] getTensor(String name) {
    Buffers.notNull(name, "name");
    long n = tensor(name).elements();
    if (n > Integer.MAX_VALUE - 8) {
      throw Status.shape(name + " has " + n + " values, more than a Java array holds");
    }
    float[] values = new float[(int) n];
    call(p -> NativeApi.LIB.nnstate_network_get_tensor(p, name, values, values.length));
    return values;
  }

  /** Overwrites a tensor; `values.length` must equal its number of elements. */
  public Network setTensor(String name, float[] values) {
    Buffers.notNull(name, "name");
    Buffers.notNull(values, "values");
    call(p -> NativeApi.LIB.nnstate_network_set_tensor(p, name, values, values.length));
    return this;
  }

  // ---- Checkpoints of the network alone (Trainer.save adds the training loop)

  public Network save(String path) {
    return save(path, null);
  }

  /** Saves crash-safely (temporary file, fsync, rename). `options` may be null. */
  public Network save(String path, SaveOptions options) {
    Buffers.notNull(path, "path");
    List<Object> keep = new ArrayList<>();
    Structs.SaveOptions s = options == null ? null : options.toStruct(keep);
    call(p -> NativeApi.LIB.nnstate_checkpoint_save(p, path, s));
    Reference.reachabilityFence(keep);
    return this;
  }

  /** The checkpoint as bytes (the same bytes save() writes, creation time aside). */
  public byte[] saveToBuffer(SaveOptions options) {
    List<Object> keep = new ArrayList<>();
    Structs.SaveOptions s = options == null ? null : options.toStruct(keep);
    long[] size = {0};
    int status = callStatus(p -> NativeApi.LIB.nnstate_checkpoint_save_to_buffer(
        p, null, 0, size, s));
    if (status != Status.SHAPE_MISMATCH) {
      Status.check(status);
    }
    if (size[0] > Integer.MAX_VALUE - 8) {
      throw Status.shape("the checkpoint has " + size[0] + " bytes, more than a byte[] holds: "
          + "save it to a file");
    }
    byte[] buffer = new byte[(int) size[0]];
    call(p -> NativeApi.LIB.nnstate_checkpoint_save_to_buffer(p, buffer, buffer.length, size, s));
    Reference.reachabilityFence(keep);
    return size[0] == buffer.length ? buffer : Arrays.copyOf(buffer, (int) size[0]);
  }

  /** Rebuilds a network from a checkpoint file alone. */
  public static Network load(String path) {
    return load(path, null);
  }

  public static Network load(String path, LoadOptions options) {
    Buffers.notNull(path, "path");
    PointerByReference out = new PointerByReference();
    Status.check(NativeApi.LIB.nnstate_checkpoint_load(
        out, path, options == null ? null : options.struct));
    return new Network(out.getValue());
  }

  public static Network load(byte[] checkpoint, LoadOptions options) {
    Buffers.notNull(checkpoint, "checkpoint");
    PointerByReference out = new PointerByReference();
    Status.check(NativeApi.LIB.nnstate_checkpoint_load_buffer(
        out, checkpoint, checkpoint.length, options == null ? null : options.struct));
    return new Network(out.getValue());
  }

  /** Loads into this network, whose layers and tensors must match the file's exactly. */
  public Network loadInto(String path, LoadOptions options) {
    Buffers.notNull(path, "path");
    call(p -> NativeApi.LIB.nnstate_checkpoint_load_into(
        p, path, options == null ? null : options.struct));
    return this;
  }

  public Network loadInto(byte[] checkpoint, LoadOptions options) {
    Buffers.notNull(checkpoint, "checkpoint");
    call(p -> NativeApi.LIB.nnstate_checkpoint_load_into_buffer(
        p, checkpoint, checkpoint.length, options == null ? null : options.struct));
    return this;
  }

  @Override
  public String toString() {
    if (isClosed()) {
      return "Network(closed)";
    }
    try {
      return "Network(" + layerCount() + " layers, " + parameterCount() + " parameters)";
    } catch (NnstateException e) {
      return "Network(" + e.message() + ")";
    }
  }
}
