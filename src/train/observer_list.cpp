#include "train/observer_list.h"

namespace nnstate {

ObserverList::ObserverList(std::initializer_list<TrainerObserver *> observers) {
  for (TrainerObserver *o : observers) {
    if (o) observers_.push_back(o);
  }
}

bool ObserverList::on_batch_end(const BatchInfo &info) {
  bool go_on = true;
  for (TrainerObserver *o : observers_) go_on = o->on_batch_end(info) && go_on;
  return go_on;
}

bool ObserverList::on_epoch_end(const HistoryRow &row) {
  bool go_on = true;
  for (TrainerObserver *o : observers_) go_on = o->on_epoch_end(row) && go_on;
  return go_on;
}

void ObserverList::after_batch(Trainer &trainer) {
  for (TrainerObserver *o : observers_) o->after_batch(trainer);
}

void ObserverList::after_epoch(Trainer &trainer) {
  for (TrainerObserver *o : observers_) o->after_epoch(trainer);
}

void ObserverList::on_stop(Trainer &trainer) {
  for (TrainerObserver *o : observers_) o->on_stop(trainer);
}

}  // namespace nnstate
