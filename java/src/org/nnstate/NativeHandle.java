package org.nnstate;

import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Consumer;

/**
 * Owns one C pointer and the function that frees it, so that no call can reach freed or busy C
 * memory. A handle that depends on another (a trainer on its network) is registered as its
 * child: closing the parent closes the children first, in the order the C API needs, and a
 * closed handle refuses every use with NnstateException(STATE) instead of passing a dangling
 * pointer to C. While nnstate_trainer_fit runs, the trainer leases its network and datasets:
 * they may not be closed or used elsewhere (the C API forbids it), e.g. from a callback.
 * The same model as python/nnstate/_handles.py.
 */
final class NativeHandle {
  private Pointer pointer;
  private final Consumer<Pointer> free;
  final String what;
  private final NativeHandle parent; // strong: the parent outlives its children
  private final Set<NativeHandle> children = Collections.newSetFromMap(new WeakHashMap<>());
  private final List<Object> keepAlive = new ArrayList<>(); // memory the C object borrows
  private String closedReason;
  private String lease;

  NativeHandle(Pointer pointer, Consumer<Pointer> free, String what, NativeHandle parent) {
    this.pointer = pointer;
    this.free = free;
    this.what = what;
    this.parent = parent;
    if (parent != null) {
      parent.addChild(this);
    }
  }

  private synchronized void addChild(NativeHandle child) {
    children.add(child);
  }

  /** Keeps `memory` reachable until the handle is freed (the C object borrows it). */
  synchronized void keep(Object memory) {
    keepAlive.add(memory);
  }

  synchronized boolean alive() {
    return pointer != null;
  }

  NativeHandle parent() {
    return parent;
  }

  /** The pointer for a call; STATE when closed or leased. */
  synchronized Pointer get() {
    Pointer p = forLessee();
    if (lease != null) {
      throw new NnstateException(
          Status.STATE, "the " + what + " is in use by " + lease + "; call it after fit returns");
    }
    return p;
  }

  /** The pointer for the code holding the lease (fit itself, and its read-only queries). */
  synchronized Pointer forLessee() {
    if (pointer == null) {
      throw new NnstateException(
          Status.STATE, closedReason != null ? closedReason : "the " + what + " is closed");
    }
    return pointer;
  }

  /** Marks the handle busy while a C call that borrows it runs; release with unlease(). */
  synchronized Pointer lease(String by) {
    Pointer p = get();
    lease = by;
    return p;
  }

  synchronized void unlease() {
    lease = null;
  }

  /** Frees the children, then this handle; idempotent. Refused while leased. */
  void close(String reason) {
    List<NativeHandle> kids;
    synchronized (this) {
      if (lease != null) {
        throw new NnstateException(
            Status.STATE, "cannot close the " + what + " while " + lease + " runs");
      }
      kids = new ArrayList<>(children);
    }
    for (NativeHandle child : kids) {
      child.close("the " + child.what + "'s " + what + " was closed");
    }
    synchronized (this) {
      if (pointer != null) {
        Pointer p = pointer;
        pointer = null;
        closedReason = reason;
        free.accept(p);
        keepAlive.clear();
      }
    }
  }

  /** The Cleaner's action: the owner is unreachable, so nothing can hold a lease any more. */
  void closeQuietly() {
    synchronized (this) {
      lease = null;
    }
    close(null);
  }
}
