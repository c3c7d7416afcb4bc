// Faulting in a load's fresh destination memory on a helper thread, ahead of the thread that
// reads the file into it: the kernel zeroes each new page before the read may fill it, and on
// two cores that zeroing then overlaps the copy instead of adding to it.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace nnstate::checkpoint {

class Prefaulter {
 public:
  struct Range {
    unsigned char *begin;
    size_t size;
  };
  // `ranges`: the destinations in the order they will be filled. Starts the helper only when
  // they are large enough to repay a thread, the machine has a second core and the kernel can
  // populate pages for writing (MADV_POPULATE_WRITE, Linux 5.14); otherwise does nothing.
  explicit Prefaulter(std::vector<Range> ranges);
  ~Prefaulter();
  Prefaulter(const Prefaulter &) = delete;
  Prefaulter &operator=(const Prefaulter &) = delete;

  // The reader has filled the first `bytes` of the ranges (in order): the helper skips them.
  void filled(size_t bytes) { filled_.store(bytes, std::memory_order_relaxed); }

 private:
  void run();

  std::vector<Range> ranges_;
  std::atomic<size_t> filled_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace nnstate::checkpoint
