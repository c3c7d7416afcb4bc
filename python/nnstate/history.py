"""What fit returns: Keras' History (history.history, history.epoch, history.params)."""
import math

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "lr")


class History:
    """The epochs one fit call trained, like keras.callbacks.History:

    - rows: one dict per epoch (epoch, loss, accuracy, val_loss, val_accuracy, lr, seconds);
    - history: {"loss": [...], "val_loss": [...], ...}, only the metrics this run has
      (no accuracy for MSE, no val_* without validation data), plus "lr";
    - epoch: the 0-based epoch indices of those rows (Keras' convention: after fit(epochs=5)
      and fit(epochs=8), the second History has epoch [5, 6, 7]);
    - params: {"epochs": total epochs, "steps": batches per epoch or None, "verbose": ...};
    - stop_reason: "completed", "early_stopping" or "requested".
    """

    def __init__(self, rows, params, stop_reason):
        self.rows = rows
        self.params = params
        self.stop_reason = stop_reason
        self.epoch = [row["epoch"] for row in rows]
        self.history = {name: [row[name] for row in rows] for name in METRICS
                        if any(not math.isnan(row[name]) for row in rows)}

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        last = self.rows[-1] if self.rows else None
        summary = ", ".join(f"{k} {last[k]:.4g}" for k in self.history) if last else "no epochs"
        return f"<nnstate.History: {len(self.rows)} epochs ({self.stop_reason}); last: {summary}>"
