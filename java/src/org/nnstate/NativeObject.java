package org.nnstate;

import com.sun.jna.Pointer;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.function.ToIntFunction;

/**
 * The base of every class holding a native handle: AutoCloseable, with a Cleaner as a safety net
 * for objects that are never closed. close() is idempotent; every other method of a closed
 * object throws NnstateException(STATE).
 */
abstract class NativeObject implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;

  NativeObject(NativeHandle handle) {
    this.handle = handle;
    this.cleanable = CLEANER.register(this, handle::closeQuietly); // must not capture `this`
  }

  /** Calls C with the handle's pointer and checks the status. The fence keeps this object (and
   * so its handle) from being cleaned while the C call still runs. */
  final int call(ToIntFunction<Pointer> function) {
    try {
      return Status.check(function.applyAsInt(handle.get()));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** As call(), also while fit holds the lease (for read-only queries and request_stop). */
  final int callDuringFit(ToIntFunction<Pointer> function) {
    try {
      return Status.check(function.applyAsInt(handle.forLessee()));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** True once close() ran (or the object it depends on was closed). */
  public boolean isClosed() {
    return !handle.alive();
  }

  /** Frees the native object (and the objects that depend on it); idempotent. */
  @Override
  public void close() {
    handle.close(null);
    cleanable.clean();
  }
}
