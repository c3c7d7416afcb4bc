package org.nnstate;

/** torch.nn.Conv2d's arguments, from nnstate_conv2d_options_init's defaults. */
public final class Conv2dOptions {
  final Structs.Conv2dOptions struct = new Structs.Conv2dOptions();

  /** Channel counts and a square kernel; stride 1, padding 0, dilation 1, groups 1, bias. */
  public Conv2dOptions(long inChannels, long outChannels, long kernelSize) {
    struct.checkInit(NativeApi.LIB.nnstate_conv2d_options_init(
        struct, inChannels, outChannels, kernelSize), "conv2d");
  }

  public Conv2dOptions kernel(long h, long w) {
    struct.kernel_h = h;
    struct.kernel_w = w;
    return this;
  }

  public Conv2dOptions stride(long h, long w) {
    struct.stride_h = h;
    struct.stride_w = w;
    return this;
  }

  public Conv2dOptions stride(long s) {
    return stride(s, s);
  }

  public Conv2dOptions padding(long h, long w) {
    struct.padding_h = h;
    struct.padding_w = w;
    return this;
  }

  public Conv2dOptions padding(long p) {
    return padding(p, p);
  }

  public Conv2dOptions dilation(long h, long w) {
    struct.dilation_h = h;
    struct.dilation_w = w;
    return this;
  }

  public Conv2dOptions groups(long groups) {
    struct.groups = groups;
    return this;
  }

  public Conv2dOptions bias(boolean bias) {
    struct.bias = bias ? 1 : 0;
    return this;
  }
}
