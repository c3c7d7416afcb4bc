package org.nnstate;

/** Versions of the loaded library. */
public final class Nnstate {
  private Nnstate() {}

  /** The loaded library's version, e.g. "0.1.0". */
  public static String version() {
    return NativeApi.LIB.nnstate_version_string();
  }

  /** The loaded library's ABI version (its SOVERSION). */
  public static int abiVersion() {
    return NativeApi.LIB.nnstate_abi_version();
  }

  /** A short description of a status code ("invalid argument"). */
  public static String statusString(int status) {
    return NativeApi.LIB.nnstate_status_string(status);
  }
}
