// Several trainer observers as one, e.g. the C API's callbacks and a checkpoint policy in one fit.
// Each hook reaches every observer in the order they were added, so every observer sees the same
// events; the run stops at a boundary when any of them returned false there.
#pragma once

#include <initializer_list>
#include <vector>

#include "train/trainer.h"

namespace nnstate {

class ObserverList final : public TrainerObserver {
 public:
  // The observers are not owned; null entries are skipped.
  ObserverList(std::initializer_list<TrainerObserver *> observers);

  bool on_batch_end(const BatchInfo &info) override;
  bool on_epoch_end(const HistoryRow &row) override;
  void after_batch(Trainer &trainer) override;
  void after_epoch(Trainer &trainer) override;
  void on_stop(Trainer &trainer) override;

 private:
  std::vector<TrainerObserver *> observers_;
};

}  // namespace nnstate
