// A layer's tensors written down once: each kind with state lists them (name, role, shape
// from its configuration, and the members that hold the value and gradient), and the same
// list allocates them in the constructor, reports them to the state visitor (visit_tensors)
// and declares them for a configuration that is not built (declare: tensors with a shape and
// no storage, for the checks of an untrusted checkpoint). There is no second list.
#pragma once

#include <string>

#include "layers/layer.h"
#include "util/error.h"

namespace nnstate {

template <class L>
class StateTensors {
 public:
  static constexpr int kMax = 5;  // BatchNorm's

  // A parameter (with a gradient member) or, with `grad` null, a buffer.
  void add(const char *name, const Shape &shape, Tensor L::*value, Tensor L::*grad) {
    if (count_ == kMax) fail(NNSTATE_ERR_INTERNAL, "a layer declares too many tensors");
    items_[count_++] = Item{name, shape, value, grad};
  }

  // Zero-filled values and gradients of the declared shapes.
  void allocate(L &layer) const {
    for (int i = 0; i < count_; ++i) {
      layer.*items_[i].value = Tensor(items_[i].shape);
      if (items_[i].grad) layer.*items_[i].grad = Tensor(items_[i].shape);
    }
  }
  void visit(L &layer, const std::string &prefix, StateVisitor &visitor) const {
    for (int i = 0; i < count_; ++i) {
      const Item &t = items_[i];
      visitor.tensor(prefix + t.name, t.grad ? TensorRole::parameter : TensorRole::buffer,
                     layer.*t.value, t.grad ? &(layer.*t.grad) : nullptr);
    }
  }
  // What visit() would report, without a layer: tensors that have a shape and no storage.
  void declare(const std::string &prefix, StateVisitor &visitor) const {
    for (int i = 0; i < count_; ++i) {
      const Item &t = items_[i];
      Tensor value = Tensor::declaration(t.shape), grad = Tensor::declaration(t.shape);
      visitor.tensor(prefix + t.name, t.grad ? TensorRole::parameter : TensorRole::buffer, value,
                     t.grad ? &grad : nullptr);
    }
  }

 private:
  struct Item {
    const char *name = nullptr;
    Shape shape;
    Tensor L::*value = nullptr;
    Tensor L::*grad = nullptr;
  };
  Item items_[kMax];
  int count_ = 0;
};

}  // namespace nnstate
