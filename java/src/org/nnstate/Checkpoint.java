package org.nnstate;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open, validated checkpoint file (nnstate_checkpoint): versions, environment, layers,
 * tensors with their CRC32C, metadata, every stored field, and the training-loop state of
 * trainer checkpoints. Opening checks every byte (unless verifyCrc is off). Strings and values
 * are copied out, so nothing returned refers to the mapping after close().
 */
public final class Checkpoint extends NativeObject {
  /** Opens and validates `path`. */
  public Checkpoint(String path) {
    this(path, null);
  }

  public Checkpoint(String path, LoadOptions options) {
    super(open(path, options));
  }

  /** Opens a copy of a checkpoint in memory. */
  public Checkpoint(byte[] data) {
    super(openBuffer(data));
  }

  private static NativeHandle open(String path, LoadOptions options) {
    Buffers.notNull(path, "path");
    PointerByReference out = new PointerByReference();
    Status.check(NativeApi.LIB.nnstate_checkpoint_open(
        out, path, options == null ? null : options.struct));
    return new NativeHandle(out.getValue(), NativeApi.LIB::nnstate_checkpoint_free, "checkpoint",
        null);
  }

  private static NativeHandle openBuffer(byte[] data) {
    Buffers.notNull(data, "data");
    PointerByReference out = new PointerByReference();
    Status.check(NativeApi.LIB.nnstate_checkpoint_open_buffer(out, data, data.length, null));
    return new NativeHandle(out.getValue(), NativeApi.LIB::nnstate_checkpoint_free, "checkpoint",
        null);
  }

  /** Checks a whole file without building anything; throws NnstateException (CORRUPT, ...). */
  public static void verify(String path) {
    Buffers.notNull(path, "path");
    Status.check(NativeApi.LIB.nnstate_checkpoint_verify(path));
  }

  public static void verify(byte[] data) {
    Buffers.notNull(data, "data");
    Status.check(NativeApi.LIB.nnstate_checkpoint_verify_buffer(data, data.length));
  }

  /** The format version this library writes, {major, minor}. */
  public static int[] libraryFormatVersion() {
    int[] major = {0};
    int[] minor = {0};
    Status.check(NativeApi.LIB.nnstate_format_version(major, minor));
    return new int[] {major[0], minor[0]};
  }

  /** The file's format version, {major, minor}. */
  public int[] formatVersion() {
    int[] major = {0};
    int[] minor = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_format(p, major, minor));
    return new int[] {major[0], minor[0]};
  }

  public String writerVersion() {
    return string(p -> {
      PointerByReference out = new PointerByReference();
      return new Object[] {NativeApi.LIB.nnstate_checkpoint_writer_version(p, out), out};
    });
  }

  /** Creation time, nanoseconds since 1970-01-01 UTC. */
  public long createdUnixNanos() {
    long[] out = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_created(p, out));
    return out[0];
  }

  /** The writer's BLAS core type and thread count (bitwise resumption needs the same). */
  public record Environment(String blasCoreType, int blasThreads) {}

  public Environment environment() {
    PointerByReference core = new PointerByReference();
    int[] threads = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_environment(p, core, threads));
    return new Environment(Buffers.text(core.getValue()), threads[0]);
  }

  /** The stored architecture's layer kinds. */
  public List<LayerKind> layerKinds() {
    long[] count = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_layer_count(p, count));
    List<LayerKind> kinds = new ArrayList<>();
    for (long i = 0; i < count[0]; ++i) {
      long index = i;
      int[] kind = {0};
      call(p -> NativeApi.LIB.nnstate_checkpoint_layer_kind(p, index, kind));
      kinds.add(LayerKind.of(kind[0]));
    }
    return kinds;
  }

  /** A stored tensor, with the CRC32C the manifest records for its bytes. */
  public record TensorInfo(String name, int role, int dtype, long[] shape, int crc32c) {
    public long elements() {
      return Buffers.product(shape, shape.length);
    }

    @Override
    public String toString() {
      return name + Arrays.toString(shape);
    }
  }

  /** Every stored tensor: network tensors, optimizer state, early stopping's best weights. */
  public List<TensorInfo> tensors() {
    long[] count = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_tensor_count(p, count));
    List<TensorInfo> out = new ArrayList<>();
    for (long i = 0; i < count[0]; ++i) {
      long index = i;
      PointerByReference name = new PointerByReference();
      int[] role = {0};
      int[] dtype = {0};
      int[] rank = {0};
      long[] dims = new long[4];
      int[] crc = {0};
      call(p -> NativeApi.LIB.nnstate_checkpoint_tensor_info(p, index, name, role, dtype, rank,
          dims));
      call(p -> NativeApi.LIB.nnstate_checkpoint_tensor_crc32c(p, index, crc));
      out.add(new TensorInfo(Buffers.text(name.getValue()), role[0], dtype[0],
          Arrays.copyOf(dims, Math.min(Math.max(rank[0], 0), 4)), crc[0]));
    }
    return out;
  }

  /** A copy of a stored tensor's values (NOT_FOUND for an unknown name). */
  public float[] tensor(String name) {
    Buffers.notNull(name, "name");
    long[] count = {0};
    PointerByReference data = new PointerByReference();
    call(p -> NativeApi.LIB.nnstate_checkpoint_tensor_data(p, name, data, count));
    if (count[0] > Integer.MAX_VALUE - 8) {
      throw Status.shape(name + " has " + count[0] + " values, more than a Java array holds");
    }
    float[] values = new float[(int) count[0]];
    call(p -> NativeApi.LIB.nnstate_checkpoint_read_tensor(p, name, values, values.length));
    return values;
  }

  /** The optimizer's kind (OptimizerOptions.ADAM, ...; 0 when none) and step. */
  public record Optimizer(int kind, long step) {}

  public Optimizer optimizer() {
    int[] kind = {0};
    long[] step = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_optimizer(p, kind, step));
    return new Optimizer(kind[0], step[0]);
  }

  /** The stored optimizer's hyper-parameters, or null when the file has no optimizer. */
  public OptimizerOptions optimizerOptions() {
    int kind = optimizer().kind();
    if (kind == 0) {
      return null;
    }
    OptimizerOptions options = OptimizerOptions.of(kind);
    call(p -> NativeApi.LIB.nnstate_checkpoint_optimizer_options(p, options.struct));
    return options;
  }

  /** The loss, or null when the file has none. */
  public Loss loss() {
    int[] kind = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_loss(p, kind));
    return Loss.of(kind[0]);
  }

  /** User metadata in stored order. */
  public Map<String, String> metadata() {
    long[] count = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_metadata_count(p, count));
    Map<String, String> out = new LinkedHashMap<>();
    for (long i = 0; i < count[0]; ++i) {
      long index = i;
      PointerByReference key = new PointerByReference();
      PointerByReference value = new PointerByReference();
      call(p -> NativeApi.LIB.nnstate_checkpoint_metadata_at(p, index, key, value));
      out.put(Buffers.text(key.getValue()), Buffers.text(value.getValue()));
    }
    return out;
  }

  /** The value of `key`; NnstateException(NOT_FOUND) when absent. */
  public String metadata(String key) {
    Buffers.notNull(key, "key");
    return string(p -> {
      PointerByReference out = new PointerByReference();
      return new Object[] {NativeApi.LIB.nnstate_checkpoint_metadata_get(p, key, out), out};
    });
  }

  /** A stored value: full path name, its text (equal texts: equal values), wall-clock flag. */
  public record Field(String name, String value, boolean wallClock) {}

  /** Every stored value other than tensor data and metadata, in a fixed order. */
  public List<Field> fields() {
    long[] count = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_field_count(p, count));
    List<Field> out = new ArrayList<>();
    for (long i = 0; i < count[0]; ++i) {
      long index = i;
      PointerByReference name = new PointerByReference();
      PointerByReference value = new PointerByReference();
      int[] flags = {0};
      call(p -> NativeApi.LIB.nnstate_checkpoint_field_at(p, index, name, value, flags));
      out.add(new Field(Buffers.text(name.getValue()), Buffers.text(value.getValue()),
          (flags[0] & 1) != 0));
    }
    return out;
  }

  /** The training loop's position in a trainer checkpoint; null in a network checkpoint. */
  public Trainer.Position trainer() {
    int[] present = {0};
    long[] e = {0};
    long[] s = {0};
    long[] b = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_trainer(p, present, e, s, b));
    return present[0] == 0 ? null : new Trainer.Position(e[0], s[0], b[0]);
  }

  /** The stored history (empty without training-loop state). */
  public List<EpochInfo> history() {
    long[] count = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_history_count(p, count));
    List<EpochInfo> rows = new ArrayList<>();
    for (long i = 0; i < count[0]; ++i) {
      long index = i;
      Structs.EpochInfo row = new Structs.EpochInfo();
      row.setOwnSize();
      call(p -> NativeApi.LIB.nnstate_checkpoint_history_row(p, index, row));
      rows.add(EpochInfo.of(row));
    }
    return rows;
  }

  /** The scheduler's kind (SchedulerOptions.*, 0 when none), last_epoch and plateau state. */
  public record Scheduler(int kind, long lastEpoch, double best, long numBadEpochs,
      long cooldownCounter) {}

  public Scheduler scheduler() {
    int[] kind = {0};
    long[] last = {0};
    double[] best = {0};
    long[] bad = {0};
    long[] cooldown = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_scheduler(p, kind, last, best, bad, cooldown));
    return new Scheduler(kind[0], last[0], best[0], bad[0], cooldown[0]);
  }

  /** Early stopping's state (Keras' names). */
  public record EarlyStopping(String monitor, double best, long bestEpoch, long waitCount,
      long stoppedEpoch) {}

  /** Early stopping's state, or null when the run had none. */
  public EarlyStopping earlyStopping() {
    int[] present = {0};
    PointerByReference monitor = new PointerByReference();
    double[] best = {0};
    long[] bestEpoch = {0};
    long[] wait = {0};
    long[] stopped = {0};
    call(p -> NativeApi.LIB.nnstate_checkpoint_early_stopping(
        p, present, monitor, best, bestEpoch, wait, stopped));
    return present[0] == 0 ? null
        : new EarlyStopping(Buffers.text(monitor.getValue()), best[0], bestEpoch[0], wait[0],
            stopped[0]);
  }

  /** Calls a query returning {status, PointerByReference} and copies the string out. */
  private String string(java.util.function.Function<Pointer, Object[]> query) {
    Object[] result = new Object[1];
    call(p -> {
      Object[] r = query.apply(p);
      result[0] = r[1];
      return (Integer) r[0];
    });
    return Buffers.text(((PointerByReference) result[0]).getValue());
  }

  @Override
  public String toString() {
    if (isClosed()) {
      return "Checkpoint(closed)";
    }
    int[] v = formatVersion();
    return "Checkpoint(format " + v[0] + "." + v[1] + ", " + tensors().size() + " tensors)";
  }
}
