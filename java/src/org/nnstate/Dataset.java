package org.nnstate;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;

/**
 * Training or validation data (nnstate_dataset): `samples` rows of inputs and targets. The C
 * library borrows the memory for the dataset's whole life, so float[] data is copied once into
 * native memory the dataset owns, while direct FloatBuffers are used in place (no copy) and
 * kept reachable by the dataset: do not change them while it is open.
 */
public final class Dataset extends NativeObject {
  private final long samples;

  /** Copies `inputs` and `targets` (targets: one class index per sample for cross-entropy,
   * one value per output otherwise). */
  public Dataset(float[] inputs, float[] targets, long samples) {
    this(copy(inputs, "inputs"), inputs.length, copy(targets, "targets"), targets.length,
        samples, null, null);
  }

  /** Borrows the remaining floats of two direct buffers in the platform's byte order. */
  public Dataset(FloatBuffer inputs, FloatBuffer targets, long samples) {
    this(Buffers.address(inputs, "inputs", false), inputs.remaining(),
        Buffers.address(targets, "targets", false), targets.remaining(), samples, inputs,
        targets);
  }

  private Dataset(Pointer x, long xCount, Pointer y, long yCount, long samples, Object xOwner,
      Object yOwner) {
    super(create(x, xCount, y, yCount, samples));
    this.samples = samples;
    handle.keep(xOwner != null ? xOwner : x); // C reads these until nnstate_dataset_free
    handle.keep(yOwner != null ? yOwner : y);
    Reference.reachabilityFence(xOwner);
    Reference.reachabilityFence(yOwner);
  }

  private static Memory copy(float[] values, String what) {
    Buffers.notNull(values, what);
    Memory memory = new Memory(Math.max(4L * values.length, 4));
    memory.write(0, values, 0, values.length);
    return memory;
  }

  private static NativeHandle create(Pointer x, long xCount, Pointer y, long yCount, long n) {
    if (n < 0) {
      throw Status.invalid("samples is " + n);
    }
    PointerByReference out = new PointerByReference();
    Status.check(NativeApi.LIB.nnstate_dataset_create(out, x, xCount, y, yCount, n));
    return new NativeHandle(out.getValue(), NativeApi.LIB::nnstate_dataset_free, "dataset", null);
  }

  public long samples() {
    return samples;
  }

  @Override
  public String toString() {
    return isClosed() ? "Dataset(closed)" : "Dataset(" + samples + " samples)";
  }
}
