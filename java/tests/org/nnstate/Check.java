package org.nnstate;

import java.util.Arrays;
import java.util.Objects;

/** Assertions of the Java tests. */
final class Check {
  private Check() {}

  static void isTrue(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }

  static void equal(Object expected, Object actual, String what) {
    if (!Objects.deepEquals(expected, actual)) {
      throw new AssertionError(what + ": expected " + show(expected) + ", got " + show(actual));
    }
  }

  private static String show(Object o) {
    if (o instanceof float[]) {
      return Arrays.toString((float[]) o);
    }
    if (o instanceof long[]) {
      return Arrays.toString((long[]) o);
    }
    if (o instanceof int[]) {
      return Arrays.toString((int[]) o);
    }
    return String.valueOf(o);
  }

  interface Action {
    void run() throws Exception;
  }

  /** Runs `action`, which must throw NnstateException with `status`; returns it. */
  static NnstateException fails(int status, Action action, String what) {
    try {
      action.run();
    } catch (NnstateException e) {
      if (e.status() != status) {
        throw new AssertionError(what + ": expected " + Status.name(status) + ", got " + e, e);
      }
      isTrue(!e.message().isEmpty(), what + ": the exception has no message");
      return e;
    } catch (Exception e) {
      throw new AssertionError(what + ": expected NnstateException " + Status.name(status)
          + ", got " + e, e);
    }
    throw new AssertionError(what + ": expected NnstateException " + Status.name(status)
        + ", nothing was thrown");
  }

  static void contains(String text, String part, String what) {
    if (text == null || !text.contains(part)) {
      throw new AssertionError(what + ": \"" + text + "\" does not contain \"" + part + "\"");
    }
  }
}
