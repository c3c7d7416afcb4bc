package org.nnstate;

/** The layer kinds (NNSTATE_LAYER_*), named as PyTorch's classes are. */
public enum LayerKind {
  LINEAR(1, "Linear"), RELU(2, "ReLU"), LEAKY_RELU(3, "LeakyReLU"), TANH(4, "Tanh"),
  SIGMOID(5, "Sigmoid"), GELU(6, "GELU"), CONV2D(7, "Conv2d"), MAX_POOL2D(8, "MaxPool2d"),
  FLATTEN(9, "Flatten"), BATCH_NORM1D(10, "BatchNorm1d"), BATCH_NORM2D(11, "BatchNorm2d"),
  DROPOUT(12, "Dropout"), LAYER_NORM(13, "LayerNorm"), AVG_POOL2D(14, "AvgPool2d"),
  ADAPTIVE_AVG_POOL2D(15, "AdaptiveAvgPool2d"), IDENTITY(16, "Identity"),
  SOFTMAX(17, "Softmax"), LOG_SOFTMAX(18, "LogSoftmax"), EMBEDDING(19, "Embedding"),
  DROPOUT2D(20, "Dropout2d"), ADD(21, "Add"), CONCAT(22, "Concat"), MULTIPLY(23, "Multiply");

  final int code;
  /** The "kind" of nnstate_network_add_node's JSON: PyTorch's class name. */
  public final String pytorchName;

  LayerKind(int code, String pytorchName) {
    this.code = code;
    this.pytorchName = pytorchName;
  }

  static LayerKind of(int code) {
    for (LayerKind kind : values()) {
      if (kind.code == code) {
        return kind;
      }
    }
    throw new NnstateException(Status.INTERNAL, "unknown layer kind " + code
        + " (a newer libnnstate than this binding)");
  }
}
