package org.nnstate;

/**
 * A libnnstate call failed, or the binding refused a call before making it (a closed object,
 * an array of the wrong length). {@link #status()} is the C API's nnstate_status (a negative
 * number, see {@link Status}) and {@link #message()} the library's nnstate_last_error().
 */
public class NnstateException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String message;

  public NnstateException(int status, String message) {
    super(Status.name(status) + ": " + message);
    this.status = status;
    this.message = message;
  }

  /** The nnstate_status code, e.g. {@link Status#SHAPE_MISMATCH}. */
  public int status() {
    return status;
  }

  /** The status's name as in the C header without its prefix, e.g. "SHAPE_MISMATCH". */
  public String statusName() {
    return Status.name(status);
  }

  /** The library's explanation, naming the values involved. */
  public String message() {
    return message;
  }
}
