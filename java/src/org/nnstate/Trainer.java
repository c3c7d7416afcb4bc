package org.nnstate;

import com.sun.jna.Pointer;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The training loop over a Network (nnstate_trainer): schedulers, early stopping, checkpoint
 * policy, callbacks, resuming. The C trainer borrows its network, so a Trainer keeps its
 * Network reachable, and closing the network closes the trainer (whose methods then throw
 * NnstateException(STATE)). While fit runs the network, the trainer and the datasets are
 * leased: from a callback only position(), history(), warnings(), requestStop() and the
 * methods that touch no native state answer; everything else throws STATE.
 */
public final class Trainer extends NativeObject {
  private final Network network;
  private long epochs;
  private volatile Predicate<EpochInfo> onEpoch;
  private volatile Predicate<BatchInfo> onBatch;
  private RuntimeException callbackFailure;
  private Error callbackError;

  public Trainer(Network network, TrainerOptions options) {
    this(network, options, null, null);
  }

  /** `scheduler` and `earlyStopping` may be null (none). */
  public Trainer(Network network, TrainerOptions options, SchedulerOptions scheduler,
      EarlyStoppingOptions earlyStopping) {
    super(create(network, options, scheduler, earlyStopping));
    this.network = network;
    this.epochs = options.epochs();
    installCallbacks();
    Reference.reachabilityFence(options);
    Reference.reachabilityFence(scheduler);
    Reference.reachabilityFence(earlyStopping);
  }

  private static NativeHandle create(Network network, TrainerOptions options,
      SchedulerOptions scheduler, EarlyStoppingOptions earlyStopping) {
    Buffers.notNull(network, "network");
    Buffers.notNull(options, "options");
    com.sun.jna.ptr.PointerByReference out = new com.sun.jna.ptr.PointerByReference();
    try {
      Status.check(NativeApi.LIB.nnstate_trainer_create(out, network.handle.get(), options.struct,
          scheduler == null ? null : scheduler.struct,
          earlyStopping == null ? null : earlyStopping.struct));
    } finally {
      Reference.reachabilityFence(network);
    }
    return new NativeHandle(out.getValue(), NativeApi.LIB::nnstate_trainer_free, "trainer",
        network.handle);
  }

  /** The C callbacks hold the Trainer weakly (so that the Cleaner can still collect it) and are
   * kept reachable by the handle as long as C may call them. */
  private void installCallbacks() {
    WeakReference<Trainer> self = new WeakReference<>(this);
    NativeApi.EpochCallback epoch = (info, user) -> {
      Trainer t = self.get();
      return t == null ? 1 : t.epochTrampoline(info);
    };
    NativeApi.BatchCallback batch = (info, user) -> {
      Trainer t = self.get();
      return t == null ? 1 : t.batchTrampoline(info);
    };
    handle.keep(epoch);
    handle.keep(batch);
    call(p -> NativeApi.LIB.nnstate_trainer_set_callbacks(p, epoch, batch, null));
  }

  // A callback's exception must not cross the C library: it stops the fit, and fit rethrows it.
  private int epochTrampoline(Pointer info) {
    try {
      Predicate<EpochInfo> f = onEpoch;
      return f != null && f.test(EpochInfo.of(new Structs.EpochInfo(info))) ? 1 : 0;
    } catch (RuntimeException e) {
      callbackFailure = e;
      return 1;
    } catch (Error e) {
      callbackError = e;
      return 1;
    }
  }

  private int batchTrampoline(Pointer info) {
    try {
      Predicate<BatchInfo> f = onBatch;
      return f != null && f.test(BatchInfo.of(new Structs.BatchInfo(info))) ? 1 : 0;
    } catch (RuntimeException e) {
      callbackFailure = e;
      return 1;
    } catch (Error e) {
      callbackError = e;
      return 1;
    }
  }

  /** Called after every epoch with its history row; returning true stops (resumably). */
  public Trainer onEpoch(Predicate<EpochInfo> callback) {
    handle.get();
    onEpoch = callback;
    return this;
  }

  /** Called after every batch; returning true stops at that boundary (resumably). */
  public Trainer onBatch(Predicate<BatchInfo> callback) {
    handle.get();
    onBatch = callback;
    return this;
  }

  /** The network this trainer trains (kept alive by the trainer). */
  public Network network() {
    return network;
  }

  /** The total number of epochs the run trains to. */
  public long epochs() {
    return epochs;
  }

  /** Changes the total (e.g. to extend a completed run); the next fit continues to it. */
  public Trainer setEpochs(long epochs) {
    call(p -> NativeApi.LIB.nnstate_trainer_set_epochs(p, epochs));
    this.epochs = epochs;
    return this;
  }

  /** Trains until the epochs are complete, early stopping fires or a stop is requested;
   * calling it again continues where it stopped. `validation` may be null. */
  public StopReason fit(Dataset train, Dataset validation) {
    Buffers.notNull(train, "train");
    int[] reason = {-1};
    List<NativeHandle> leased = new ArrayList<>();
    int status;
    try {
      lease(network.handle, leased); // C holds its pointer already: only marked busy
      Pointer trainer = lease(handle, leased);
      Pointer x = lease(train.handle, leased);
      Pointer v = validation == null ? null
          : validation == train ? x : lease(validation.handle, leased);
      callbackFailure = null;
      callbackError = null;
      status = NativeApi.LIB.nnstate_trainer_fit(trainer, x, v, reason);
    } finally {
      for (NativeHandle h : leased) {
        h.unlease();
      }
      Reference.reachabilityFence(this);
      Reference.reachabilityFence(train);
      Reference.reachabilityFence(validation);
    }
    String message = status != Status.OK ? NativeApi.LIB.nnstate_last_error() : "";
    if (callbackError != null) {
      throw callbackError;
    }
    if (callbackFailure != null) {
      throw callbackFailure;
    }
    if (status != Status.OK) {
      throw new NnstateException(status, message);
    }
    return StopReason.of(reason[0]);
  }

  /** fit to a new total of `epochs` (Keras' epochs with initial_epoch). */
  public StopReason fit(Dataset train, Dataset validation, long epochs) {
    setEpochs(epochs);
    return fit(train, validation);
  }

  private static Pointer lease(NativeHandle h, List<NativeHandle> leased) {
    Pointer p = h.lease("Trainer.fit");
    leased.add(h);
    return p;
  }

  /** Asks a running fit to stop at the next batch boundary; any thread. */
  public Trainer requestStop() {
    callDuringFit(NativeApi.LIB::nnstate_trainer_request_stop);
    return this;
  }

  /** Epochs completed, batches done in the run and in the current epoch. */
  public record Position(long epoch, long globalStep, long batchInEpoch) {}

  public Position position() {
    long[] e = {0};
    long[] s = {0};
    long[] b = {0};
    callDuringFit(p -> NativeApi.LIB.nnstate_trainer_position(p, e, s, b));
    return new Position(e[0], s[0], b[0]);
  }

  /** One row per completed epoch. */
  public List<EpochInfo> history() {
    long[] count = {0};
    callDuringFit(p -> NativeApi.LIB.nnstate_trainer_history_count(p, count));
    List<EpochInfo> rows = new ArrayList<>();
    for (long i = 0; i < count[0]; ++i) {
      long index = i;
      Structs.EpochInfo row = new Structs.EpochInfo();
      row.setOwnSize();
      callDuringFit(p -> NativeApi.LIB.nnstate_trainer_history_row(p, index, row));
      rows.add(EpochInfo.of(row));
    }
    return rows;
  }

  /** Warnings of the last resume or fit ("" when none). */
  public String warnings() {
    try {
      return NativeApi.LIB.nnstate_trainer_warnings(handle.forLessee());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Writes checkpoints during fit as `policy` says; null removes the policy. */
  public Trainer setCheckpointing(CheckpointPolicy policy) {
    call(p -> NativeApi.LIB.nnstate_trainer_set_checkpointing(
        p, policy == null ? null : policy.struct));
    Reference.reachabilityFence(policy);
    return this;
  }

  /** The default policy into `directory`: every epoch, on stop, the best by val_loss. */
  public Trainer checkpointTo(String directory) {
    return setCheckpointing(new CheckpointPolicy(directory));
  }

  public Trainer save(String path) {
    return save(path, null);
  }

  /** The network and the whole training-loop state, crash-safely; not during fit. */
  public Trainer save(String path, SaveOptions options) {
    Buffers.notNull(path, "path");
    List<Object> keep = new ArrayList<>();
    Structs.SaveOptions s = options == null ? null : options.toStruct(keep);
    call(p -> NativeApi.LIB.nnstate_trainer_save(p, path, s));
    Reference.reachabilityFence(keep);
    return this;
  }

  /** Restores the trainer and its network from a trainer checkpoint. */
  public Trainer resume(String path) {
    Buffers.notNull(path, "path");
    network.handle.get(); // the network is changed too: it must not be busy
    call(p -> NativeApi.LIB.nnstate_trainer_resume(p, path));
    return this;
  }

  /** Waits for the checkpoint being written in the background; throws if it failed. */
  public void flushSaves() {
    call(p -> NativeApi.LIB.nnstate_trainer_flush_saves(p));
  }

  /** Resumes from the newest valid ckpt-*.nnst in `directory`; false when there is none. */
  public boolean resumeLatest(String directory) {
    Buffers.notNull(directory, "directory");
    network.handle.get();
    int[] found = {0};
    call(p -> NativeApi.LIB.nnstate_trainer_resume_latest(p, directory, found));
    return found[0] != 0;
  }

  @Override
  public String toString() {
    try {
      Position p = position();
      return "Trainer(" + p.epoch() + "/" + epochs + " epochs done, step " + p.globalStep() + ")";
    } catch (NnstateException e) {
      return "Trainer(" + e.message() + ")";
    }
  }
}
