package org.nnstate;

import com.sun.jna.Pointer;

/** The struct mappings: each one's size equals the struct_size the C _init functions write
 * (so no field is missing or mistyped), the documented defaults read back at their offsets,
 * and a library whose struct is smaller than the binding's (older) or larger than the
 * reserved room is refused. */
public final class StructsTest {
  @Test
  public void everyStructHasTheSizeOfTheCStruct() {
    Structs.Sized[] structs = {new Conv2dOptions(1, 2, 3).struct, OptimizerOptions.adam().struct,
        new TrainerOptions().struct, SchedulerOptions.step(1, 0.1).struct,
        new EarlyStoppingOptions().struct, new CheckpointPolicy("d").struct,
        LoadOptions.full().struct, SaveOptions.defaults().toStruct(new java.util.ArrayList<>())};
    for (Structs.Sized s : structs) {
      Check.equal(s.size(), s.struct_size, s.getClass().getSimpleName() + " size");
    }
  }

  @Test
  public void theDefaultsReadBackAtTheirOffsets() {
    Structs.TrainerOptions t = new TrainerOptions().struct;
    Check.equal(new long[] {10, 32, 1, 0}, new long[] {t.epochs, t.batch_size, t.shuffle,
        t.drop_last}, "trainer options");
    Structs.OptimizerOptions o = OptimizerOptions.adamw().struct;
    Check.equal(new double[] {1e-3, 0.9, 0.999, 1e-8, 1e-2}, new double[] {o.lr, o.beta1,
        o.beta2, o.eps, o.weight_decay}, "AdamW");
    Structs.SchedulerOptions s = SchedulerOptions.reduceOnPlateau().struct;
    Check.equal(new double[] {0.1, 10, 1e-4, 0, 1e-8, 1.0 / 3, 1, 5}, new double[] {s.factor,
        s.patience, s.threshold, s.cooldown, s.eps, s.start_factor, s.end_factor,
        s.total_iters}, "ReduceLROnPlateau");
    Check.equal("val_loss", s.monitor.getString(0), "its monitor");
    Structs.EarlyStoppingOptions e = new EarlyStoppingOptions().struct;
    Check.equal("val_loss", e.monitor.getString(0), "early stopping's monitor");
    Check.equal(new long[] {0, 0, 0}, new long[] {e.patience, e.has_baseline,
        e.restore_best_weights}, "early stopping");
    Structs.CheckpointPolicy p = new CheckpointPolicy("dir").struct;
    Check.equal(new long[] {1, 0, 1, 3, 1, 1}, new long[] {p.every_epochs, p.every_steps,
        p.on_stop, p.keep_last, p.keep_best, p.fsync}, "checkpoint policy");
    Check.equal("dir", p.directory.getString(0), "its directory");
    Structs.Conv2dOptions c = new Conv2dOptions(3, 4, 5).struct;
    Check.equal(new long[] {3, 4, 5, 5, 1, 1, 0, 0, 1, 1, 1, 1}, new long[] {c.in_channels,
        c.out_channels, c.kernel_h, c.kernel_w, c.stride_h, c.stride_w, c.padding_h,
        c.padding_w, c.dilation_h, c.dilation_w, c.groups, c.bias}, "conv2d");
    Structs.LoadOptions l = LoadOptions.weightsOnly().struct;
    Check.equal(new int[] {1, 1}, new int[] {l.what, l.verify_crc}, "load options");
  }

  @Test
  public void structsOfAnOlderOrMuchNewerLibraryAreRefused() {
    Structs.TrainerOptions t = new Structs.TrainerOptions();
    t.struct_size = 8; // what an older library's _init would announce
    NnstateException e = Check.fails(Status.VERSION, () -> t.checkInit(Status.OK, "trainer"),
        "older library");
    Check.contains(e.message(), "older than the binding", "the message says why");
    t.struct_size = Structs.CAPACITY + 8;
    Check.fails(Status.VERSION, () -> t.checkInit(Status.OK, "trainer"), "beyond the room");
    t.struct_size = t.size() + 16; // a newer library appended fields: fine, defaults kept
    t.checkInit(Status.OK, "trainer");
  }

  @Test
  public void aNewerLibrarysExtraFieldsKeepTheirDefaults() {
    // A newer _init writes past this binding's fields; the room after them belongs to the
    // struct, and writing the known fields leaves those bytes as _init left them.
    Structs.TrainerOptions t = new TrainerOptions().struct;
    Pointer memory = t.getPointer();
    memory.setLong(t.size(), 0x1234_5678_9abc_def0L);
    t.epochs = 3;
    t.write();
    Check.equal(0x1234_5678_9abc_def0L, memory.getLong(t.size()), "bytes beyond the fields");
    Check.equal(3L, memory.getLong(8), "epochs written at offset 8");
  }
}
