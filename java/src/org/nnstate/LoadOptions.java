package org.nnstate;

/** What a load reads (everything, or weights only) and whether tensor CRCs are checked. */
public final class LoadOptions {
  final Structs.LoadOptions struct = new Structs.LoadOptions();

  private LoadOptions() {
    struct.checkInit(NativeApi.LIB.nnstate_load_options_init(struct), "load options");
  }

  /** NNSTATE_LOAD_FULL with CRC checks: weights, loss, optimizer state, RNG streams. */
  public static LoadOptions full() {
    return new LoadOptions();
  }

  /** NNSTATE_LOAD_WEIGHTS_ONLY: parameters and buffers only. */
  public static LoadOptions weightsOnly() {
    LoadOptions o = new LoadOptions();
    o.struct.what = 1;
    return o;
  }

  public LoadOptions verifyCrc(boolean on) {
    struct.verify_crc = on ? 1 : 0;
    return this;
  }
}
