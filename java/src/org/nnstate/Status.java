package org.nnstate;

/** The nnstate_status codes of nnstate.h (fixed numbers) and the check of a call's result. */
public final class Status {
  private Status() {}

  public static final int OK = 0;
  public static final int INVALID_ARGUMENT = -1;
  public static final int SHAPE_MISMATCH = -2;
  public static final int OUT_OF_MEMORY = -3;
  public static final int IO = -4;
  public static final int CORRUPT = -5;
  public static final int VERSION = -6;
  public static final int NOT_FOUND = -7;
  public static final int STATE = -8;
  public static final int INTERNAL = -9;

  private static final String[] NAMES = {"OK", "INVALID_ARGUMENT", "SHAPE_MISMATCH",
      "OUT_OF_MEMORY", "IO", "CORRUPT", "VERSION", "NOT_FOUND", "STATE", "INTERNAL"};

  /** "SHAPE_MISMATCH" for -2; the number itself for a code this binding does not know. */
  public static String name(int status) {
    return status <= 0 && -status < NAMES.length ? NAMES[-status] : Integer.toString(status);
  }

  /** Throws NnstateException with the calling thread's last error unless status is OK. */
  static int check(int status) {
    if (status != OK) {
      throw new NnstateException(status, NativeApi.LIB.nnstate_last_error());
    }
    return status;
  }

  static NnstateException invalid(String message) {
    return new NnstateException(INVALID_ARGUMENT, message);
  }

  static NnstateException shape(String message) {
    return new NnstateException(SHAPE_MISMATCH, message);
  }
}
