package org.nnstate;

/** Whether a monitored metric improves by going down or up (NNSTATE_MODE_*). */
public enum Mode {
  /** Max for "accuracy" metrics, min otherwise. */
  AUTO(0),
  MIN(1),
  MAX(2);

  final int code;

  Mode(int code) {
    this.code = code;
  }
}
