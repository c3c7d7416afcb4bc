package org.nnstate;

/** The training loop's settings, from nnstate_trainer_options_init's defaults (10 epochs,
 * batches of 32, shuffled every epoch from the checkpointed RNG, last batch kept). */
public final class TrainerOptions {
  final Structs.TrainerOptions struct = new Structs.TrainerOptions();

  public TrainerOptions() {
    struct.checkInit(NativeApi.LIB.nnstate_trainer_options_init(struct), "trainer options");
  }

  /** Train until this many epochs are complete. */
  public TrainerOptions epochs(long epochs) {
    struct.epochs = epochs;
    return this;
  }

  public TrainerOptions batchSize(long batchSize) {
    struct.batch_size = batchSize;
    return this;
  }

  public TrainerOptions shuffle(boolean on) {
    struct.shuffle = on ? 1 : 0;
    return this;
  }

  public TrainerOptions dropLast(boolean on) {
    struct.drop_last = on ? 1 : 0;
    return this;
  }

  public long epochs() {
    return struct.epochs;
  }

  public long batchSize() {
    return struct.batch_size;
  }
}
