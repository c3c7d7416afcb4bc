package org.nnstate;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/**
 * The C structs of nnstate.h, field for field. Each one lives in native memory with room to
 * spare: a newer library may have appended fields, and its _init function then writes (and
 * its struct_size announces) more bytes than this binding knows; those extra fields keep the
 * defaults _init gave them. A library older than the binding is refused, because the fields
 * it does not know would be silently ignored. Public only because JNA reads the fields by
 * reflection: not part of the API.
 */
public final class Structs {
  private Structs() {}

  /** Bytes reserved for each struct, far beyond the largest one this binding maps. */
  static final int CAPACITY = 1024;

  /** A struct that starts with uint32_t struct_size. */
  public abstract static class Sized extends Structure {
    public int struct_size;

    Sized() {
      super(new Memory(CAPACITY));
      getPointer().clear(CAPACITY);
      if (size() > CAPACITY) {
        throw new IllegalStateException(getClass().getSimpleName() + " exceeds CAPACITY");
      }
    }

    Sized(Pointer memory) {
      super(memory);
    }

    /** For structs the caller fills in (history rows): the size this binding knows. */
    void setOwnSize() {
      struct_size = size();
    }

    /** Checks what an _init function wrote; `status` is its return value. */
    void checkInit(int status, String what) {
      Status.check(status);
      if (Integer.compareUnsigned(struct_size, size()) < 0) {
        throw new NnstateException(
            Status.VERSION,
            what + ": the loaded libnnstate's struct is " + struct_size + " bytes, this binding's "
                + size() + ": the library is older than the binding");
      }
      if (Integer.compareUnsigned(struct_size, CAPACITY) > 0) {
        throw new NnstateException(
            Status.VERSION,
            what + ": the loaded libnnstate's struct is " + struct_size
                + " bytes, more than the " + CAPACITY + " this binding reserves");
      }
    }
  }

  @FieldOrder({"struct_size", "in_channels", "out_channels", "kernel_h", "kernel_w", "stride_h",
      "stride_w", "padding_h", "padding_w", "dilation_h", "dilation_w", "groups", "bias"})
  public static class Conv2dOptions extends Sized {
    public long in_channels, out_channels, kernel_h, kernel_w, stride_h, stride_w;
    public long padding_h, padding_w, dilation_h, dilation_w, groups;
    public int bias;
  }

  @FieldOrder({"struct_size", "kind", "lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad",
      "maximize", "momentum", "dampening", "nesterov"})
  public static class OptimizerOptions extends Sized {
    public int kind;
    public double lr, beta1, beta2, eps, weight_decay;
    public int amsgrad, maximize;
    public double momentum, dampening;
    public int nesterov;
  }

  @FieldOrder({"struct_size", "epochs", "batch_size", "shuffle", "drop_last"})
  public static class TrainerOptions extends Sized {
    public long epochs, batch_size;
    public int shuffle, drop_last;
  }

  @FieldOrder({"struct_size", "kind", "per_batch", "step_size", "gamma", "milestones",
      "milestone_count", "t_max", "eta_min", "start_factor", "end_factor", "total_iters", "mode",
      "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps",
      "monitor"})
  public static class SchedulerOptions extends Sized {
    public int kind, per_batch;
    public long step_size;
    public double gamma;
    public Pointer milestones;
    public long milestone_count;
    public long t_max;
    public double eta_min, start_factor, end_factor;
    public long total_iters;
    public int mode;
    public double factor;
    public long patience;
    public double threshold;
    public int threshold_mode;
    public long cooldown;
    public double min_lr, eps;
    public Pointer monitor;
  }

  @FieldOrder({"struct_size", "monitor", "mode", "min_delta", "patience", "has_baseline",
      "baseline", "restore_best_weights", "start_from_epoch"})
  public static class EarlyStoppingOptions extends Sized {
    public Pointer monitor;
    public int mode;
    public double min_delta;
    public long patience;
    public int has_baseline;
    public double baseline;
    public int restore_best_weights;
    public long start_from_epoch;
  }

  @FieldOrder({"struct_size", "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr",
      "seconds"})
  public static class EpochInfo extends Sized {
    public long epoch;
    public double loss, accuracy, val_loss, val_accuracy, lr, seconds;

    public EpochInfo() {}

    EpochInfo(Pointer p) {
      super(p);
      read();
    }
  }

  @FieldOrder({"struct_size", "epoch", "batch", "batches_per_epoch", "global_step", "loss",
      "samples", "grad_norm", "optimizer_steps", "skipped"})
  public static class BatchInfo extends Sized {
    public long epoch, batch, batches_per_epoch, global_step;
    public double loss;
    public long samples;
    public double grad_norm;
    public long optimizer_steps;
    public int skipped;

    public BatchInfo() {}

    BatchInfo(Pointer p) {
      super(p);
      read();
    }
  }

  @FieldOrder({"struct_size", "fsync", "metadata_keys", "metadata_values", "metadata_count"})
  public static class SaveOptions extends Sized {
    public int fsync;
    public Pointer metadata_keys, metadata_values;
    public long metadata_count;
  }

  @FieldOrder({"struct_size", "what", "verify_crc"})
  public static class LoadOptions extends Sized {
    public int what, verify_crc;
  }

  @FieldOrder({"struct_size", "directory", "every_epochs", "every_steps", "on_stop", "keep_last",
      "keep_best", "monitor", "mode", "fsync", "async_save", "when_busy", "max_staging_bytes",
      "on_save", "on_save_user_data"})
  public static class CheckpointPolicy extends Sized {
    public Pointer directory;
    public long every_epochs, every_steps;
    public int on_stop;
    public long keep_last, keep_best;
    public Pointer monitor;
    public int mode, fsync;
    public int async_save, when_busy;
    public long max_staging_bytes;
    public Pointer on_save, on_save_user_data; // no Java save callback yet: left NULL
  }
}
