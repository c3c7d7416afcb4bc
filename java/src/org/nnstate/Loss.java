package org.nnstate;

/** The losses (NNSTATE_LOSS_*), with PyTorch's meaning. */
public enum Loss {
  /** torch.nn.MSELoss: one target per output value. */
  MSE(1),
  /** torch.nn.CrossEntropyLoss on logits [N, C]: one class index per sample (as a float). */
  CROSS_ENTROPY(2),
  /** torch.nn.BCEWithLogitsLoss: one target in [0, 1] per output value. */
  BCE_WITH_LOGITS(3);

  final int code;

  Loss(int code) {
    this.code = code;
  }

  /** The C value, or null for 0 (no loss). */
  static Loss of(int code) {
    for (Loss loss : values()) {
      if (loss.code == code) {
        return loss;
      }
    }
    if (code == 0) {
      return null;
    }
    throw new NnstateException(Status.INTERNAL, "unknown loss kind " + code);
  }
}
