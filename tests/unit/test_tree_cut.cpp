// The canonical tree cut at the ranks' shares (parallel/canonical_tree.h, TreeCut): each rank's
// maximal aligned subtrees summed on their own, then merged above them, give the whole tree's
// bits; and ranks in one process (threads with an in-memory collective) that exchange only
// those subtrees train as one process does, for shares that are not aligned and for ranks
// without chunks.
#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "parallel/canonical_tree.h"
#include "parallel/collective.h"
#include "random/rng.h"
#include "train/model.h"
#include "train/network_tensors.h"
#include "train/trainer.h"

using namespace nnstate;

namespace {

std::vector<int64_t> even_shares(int64_t n, int64_t ranks) {
  std::vector<int64_t> starts;
  for (int64_t r = 0; r <= ranks; ++r) starts.push_back((r * n + ranks - 1) / ranks);
  return starts;
}

TreeCut cut_of(int64_t n, const std::vector<int64_t> &starts) {
  TreeCut cut;
  cut.reset(n, starts.data(), static_cast<int64_t>(starts.size()) - 1);
  return cut;
}

// Values whose float sum depends on the order in which they are added.
std::vector<float> awkward_values(int64_t n, int64_t width, uint64_t seed) {
  Rng rng(seed, RngStream::dropout);
  std::vector<float> v(static_cast<size_t>(n * width));
  for (float &x : v) {
    const float u = rng.uniform();
    x = (u - 0.5f) * (u < 0.3f ? 1e7f : 1.0f);
  }
  return v;
}

// The tree cut at `starts`: each root summed on its own, then the merges; against the tree.
void check_cut_sums(int64_t n, const std::vector<int64_t> &starts) {
  const int64_t width = 3;
  const TreeCut cut = cut_of(n, starts);
  const std::vector<float> awkward = awkward_values(n, width, static_cast<uint64_t>(n));
  std::vector<float> whole = awkward, split = awkward;
  std::vector<float *> ptrs;
  for (int64_t k = 0; k < n; ++k) ptrs.push_back(whole.data() + k * width);
  canonical_tree_sum(ptrs.data(), n, 0, width);
  std::vector<float *> parts, roots;
  for (int64_t k = 0; k < n; ++k) parts.push_back(split.data() + k * width);
  for (const Subtree &t : cut.roots()) {
    canonical_tree_sum(parts.data() + t.first, t.leaves, 0, width);
    roots.push_back(parts[static_cast<size_t>(t.first)]);
  }
  canonical_tree_merge(roots.data(), cut.merges(), 0, width);
  CHECK(std::memcmp(roots[0], whole.data(), width * sizeof(float)) == 0);
  // Out of place: each root summed into a slot of its own, the top merge into out.
  std::vector<float> slots(cut.roots().size() * width), out(width);
  std::vector<float *> slot_ptrs;
  std::vector<const float *> leaves;
  TreeScratch scratch;
  for (int64_t k = 0; k < n; ++k) leaves.push_back(awkward.data() + k * width);
  for (size_t j = 0; j < cut.roots().size(); ++j) {
    const Subtree &t = cut.roots()[j];
    slot_ptrs.push_back(slots.data() + j * width);
    canonical_tree_sum_to(leaves.data() + t.first, t.leaves, 0, width, slot_ptrs.back(), scratch);
  }
  canonical_tree_merge_to(slot_ptrs.data(), cut.merges(), 0, width, out.data());
  CHECK(std::memcmp(out.data(), whole.data(), width * sizeof(float)) == 0);
  // Doubles and moments over the same cut, in compact per-root slots.
  std::vector<double> d(static_cast<size_t>(n)), m2(static_cast<size_t>(n), 0.5);
  std::vector<int64_t> counts(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    d[k] = static_cast<double>(whole[k * width + 1]) * 1e-3 + 1.0 / static_cast<double>(k + 3);
    counts[k] = 1 + k % 3;
  }
  std::vector<double> td = d, tmean = d, tm2 = m2;
  std::vector<int64_t> tcounts = counts;
  canonical_tree_sum(td.data(), n, 1);
  canonical_tree_moments(tmean.data(), tm2.data(), tcounts.data(), n, 1);
  std::vector<double> rd, rmean, rm2, mean = d;
  std::vector<int64_t> rcounts;
  for (const Subtree &t : cut.roots()) {
    canonical_tree_sum(&d[t.first], t.leaves, 1);
    canonical_tree_moments(&mean[t.first], &m2[t.first], &counts[t.first], t.leaves, 1);
    rd.push_back(d[t.first]);
    rmean.push_back(mean[t.first]);
    rm2.push_back(m2[t.first]);
    rcounts.push_back(counts[t.first]);
  }
  canonical_tree_merge(rd.data(), 1, cut.merges());
  canonical_tree_merge_moments(rmean.data(), rm2.data(), rcounts.data(), 1, cut.merges());
  CHECK(std::memcmp(&rd[0], &td[0], sizeof(double)) == 0);
  CHECK(std::memcmp(&rmean[0], &tmean[0], sizeof(double)) == 0);
  CHECK(std::memcmp(&rm2[0], &tm2[0], sizeof(double)) == 0);
  CHECK(rcounts[0] == tcounts[0]);
}

}  // namespace

TEST_CASE("the tree summed out of place, a block at a time, has the tree's bits") {
  // Lengths past one block (1024 elements) and not a multiple of it, at an offset.
  for (int64_t n = 1; n <= 19; ++n) {
    const int64_t len = 2600, begin = 3, end = 2531;
    const std::vector<float> values = awkward_values(n, len, static_cast<uint64_t>(100 + n));
    std::vector<float> in_place = values, out(len, -1.0f);
    std::vector<float *> ptrs;
    std::vector<const float *> parts;
    for (int64_t k = 0; k < n; ++k) {
      ptrs.push_back(in_place.data() + k * len);
      parts.push_back(values.data() + k * len);
    }
    canonical_tree_sum(ptrs.data(), n, begin, end);
    TreeScratch scratch;
    canonical_tree_sum_to(parts.data(), n, begin, end, out.data(), scratch);
    INFO("n = " << n);
    CHECK(std::memcmp(out.data() + begin, ptrs[0] + begin, (end - begin) * sizeof(float)) == 0);
    CHECK(out[begin - 1] == -1.0f);  // only [begin, end) is written
    CHECK(out[end] == -1.0f);
  }
}

TEST_CASE("tree cut: each share's maximal aligned subtrees, in order") {
  SUBCASE("7 chunks on 2 ranks: [0, 4) and [4, 7), one root each") {
    const TreeCut cut = cut_of(7, even_shares(7, 2));
    REQUIRE(cut.roots().size() == 2);
    CHECK(cut.roots()[0].first == 0);
    CHECK(cut.roots()[0].leaves == 4);
    CHECK(cut.roots()[1].first == 4);
    CHECK(cut.roots()[1].leaves == 3);  // node [4, 8) past the end: chunks 4, 5, 6
    CHECK(cut.first_root(1) == 1);
    REQUIRE(cut.merges().size() == 1);
    CHECK(cut.merges()[0].into == 0);
    CHECK(cut.merges()[0].from == 1);
  }
  SUBCASE("7 chunks on 3 ranks: [0, 3) [3, 5) [5, 7) are not aligned") {
    const TreeCut cut = cut_of(7, even_shares(7, 3));
    // Rank 0: [0, 2) and {2}; rank 1: {3} and {4}; rank 2: {5} and {6}.
    const int64_t firsts[] = {0, 2, 3, 4, 5, 6}, leaves[] = {2, 1, 1, 1, 1, 1};
    REQUIRE(cut.roots().size() == 6);
    for (size_t j = 0; j < 6; ++j) {
      CHECK(cut.roots()[j].first == firsts[j]);
      CHECK(cut.roots()[j].leaves == leaves[j]);
    }
    CHECK(cut.first_root(1) == 2);
    CHECK(cut.first_root(2) == 4);
    CHECK(cut.first_root(3) == 6);
  }
  SUBCASE("2 chunks on 3 ranks: rank 2 has none") {
    const TreeCut cut = cut_of(2, even_shares(2, 3));
    CHECK(cut.first_root(1) == 1);
    CHECK(cut.first_root(2) == 2);
    CHECK(cut.first_root(3) == 2);
    CHECK(cut.roots().size() == 2);
    CHECK(cut.merges().size() == 1);
  }
  SUBCASE("one range is one root, and no merge") {
    for (int64_t n = 1; n < 20; ++n) {
      const TreeCut cut = cut_of(n, {0, n});
      REQUIRE(cut.roots().size() == 1);
      CHECK(cut.roots()[0].leaves == n);
      CHECK(cut.merges().empty());
    }
  }
  SUBCASE("shares that do not cover the chunks are refused") {
    TreeCut cut;
    const int64_t starts[] = {0, 3};
    CHECK_THROWS(cut.reset(4, starts, 1));
  }
}

TEST_CASE("tree cut: summing the roots, then merging them, gives the tree's bits") {
  for (int64_t n = 1; n <= 40; ++n) {
    for (int64_t ranks = 1; ranks <= 9; ++ranks) {
      INFO("n = " << n << ", ranks = " << ranks);
      check_cut_sums(n, even_shares(n, ranks));
    }
    // Uneven shares too, with empty ones: the cuts at every third and fifth chunk.
    std::vector<int64_t> starts = {0, 0};
    for (int64_t k = 1; k < n; ++k) {
      if (k % 3 == 0 || k % 5 == 0) starts.push_back(k);
    }
    starts.push_back(n);
    INFO("n = " << n << ", uneven shares");
    check_cut_sums(n, starts);
  }
}

namespace {

// Ranks as threads of this process: allgather and broadcast copy between their buffers, at
// barriers. A rank that fails breaks the group, so the others stop waiting.
struct ThreadGroup {
  explicit ThreadGroup(int64_t n) : size(n), buffers(static_cast<size_t>(n)) {}
  void barrier() {
    std::unique_lock<std::mutex> lock(mutex);
    const int64_t generation = generations;
    if (++arrived == size) {
      arrived = 0;
      ++generations;
      changed.notify_all();
    } else {
      changed.wait(lock, [&] { return generations != generation || broken; });
    }
    if (broken) throw std::runtime_error("another rank failed");
  }
  void breaks() {
    std::lock_guard<std::mutex> lock(mutex);
    broken = true;
    changed.notify_all();
  }
  const int64_t size;
  std::vector<void *> buffers;
  std::mutex mutex;
  std::condition_variable changed;
  int64_t arrived = 0, generations = 0;
  bool broken = false;
};

class ThreadCollective final : public Collective {
 public:
  ThreadCollective(ThreadGroup &group, int64_t rank) : group_(group), rank_(rank) {}
  int64_t rank() const override { return rank_; }
  int64_t size() const override { return group_.size; }
  void allgather(void *buffer, const int64_t *bytes, const int64_t *offset) override {
    sent_ += bytes[rank_];
    largest_ = std::max(largest_, bytes[rank_]);
    group_.buffers[rank_] = buffer;
    group_.barrier();
    for (int64_t r = 0; r < group_.size; ++r) {
      if (r == rank_ || bytes[r] == 0) continue;
      std::memcpy(static_cast<char *>(buffer) + offset[r],
                  static_cast<const char *>(group_.buffers[r]) + offset[r],
                  static_cast<size_t>(bytes[r]));
    }
    group_.barrier();  // nobody writes its buffer again before every rank has read it
  }
  void broadcast(void *buffer, int64_t bytes, int64_t root) override {
    group_.buffers[rank_] = buffer;
    group_.barrier();
    if (rank_ != root) std::memcpy(buffer, group_.buffers[root], static_cast<size_t>(bytes));
    group_.barrier();
  }
  int64_t sent() const { return sent_; }
  int64_t largest() const { return largest_; }

 private:
  ThreadGroup &group_;
  int64_t rank_;
  int64_t sent_ = 0, largest_ = 0;
};

LayerConfig linear_layer(int64_t in, int64_t out) {
  LayerConfig c(LayerKind::linear);
  c.as<LinearConfig>().in_features = in;
  c.as<LinearConfig>().out_features = out;
  return c;
}

// Linear, BatchNorm1d, ReLU, Dropout, Linear: every per-chunk result that ranks exchange.
void build_bn_mlp(Model &m) {
  m.add_layer(linear_layer(6, 10));
  LayerConfig bn(LayerKind::batch_norm1d);
  bn.as<BatchNormConfig>().num_features = 10;
  m.add_layer(bn);
  m.add_layer(LayerConfig(LayerKind::relu));
  m.add_layer(LayerConfig(LayerKind::dropout));
  m.add_layer(linear_layer(10, 3));
  m.set_loss(LossKind::cross_entropy);
  m.set_optimizer(default_optimizer_config(OptimizerKind::adam));
}

constexpr int64_t kChunk = 2, kSamples = 14, kIn = 6;  // a batch of 7 chunks

struct RankRun {
  std::vector<float> weights;  // every network tensor, concatenated
  std::vector<float> losses;
  int64_t largest_gather = 0;
};

// Three training steps of one 14-sample batch (7 chunks of 2) and an evaluation, on `ranks`
// ranks (0: no collective), with synchronised BatchNorm; rank 0's result.
RankRun train_on(int64_t ranks) {
  std::vector<float> x, y;
  for (int64_t k = 0; k < kSamples * kIn; ++k) x.push_back(static_cast<float>((k * 37 % 11) - 5));
  for (int64_t s = 0; s < kSamples; ++s) y.push_back(static_cast<float>(s % 3));
  auto run = [&](Collective *collective, RankRun &out) {
    Model m(11);
    build_bn_mlp(m);
    m.set_deterministic(kChunk, 1);
    m.set_batchnorm_synchronised(true);
    if (collective) m.set_collective(std::shared_ptr<Collective>(collective, [](Collective *) {}));
    for (int step = 0; step < 3; ++step) {
      out.losses.push_back(
          m.train_step(x.data(), kSamples * kIn, y.data(), kSamples, kSamples, nullptr));
    }
    out.losses.push_back(m.evaluate(x.data(), kSamples * kIn, y.data(), kSamples, kSamples));
    for (const TensorRef &t : network_tensors(m.network())) {
      out.weights.insert(out.weights.end(), t.value->data(), t.value->data() + t.value->numel());
    }
  };
  if (ranks == 0) {
    RankRun out;
    run(nullptr, out);
    return out;
  }
  ThreadGroup group(ranks);
  std::vector<RankRun> outs(static_cast<size_t>(ranks));
  std::vector<std::unique_ptr<ThreadCollective>> collectives;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(static_cast<size_t>(ranks));
  for (int64_t r = 0; r < ranks; ++r) {
    collectives.push_back(std::make_unique<ThreadCollective>(group, r));
  }
  for (int64_t r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      try {
        run(collectives[r].get(), outs[r]);
      } catch (const std::exception &e) {
        errors[r] = e.what();
        group.breaks();
      }
    });
  }
  for (std::thread &t : threads) t.join();
  for (int64_t r = 0; r < ranks; ++r) {
    INFO("rank " << r);
    REQUIRE(errors[r].empty());
    CHECK(outs[r].weights == outs[0].weights);
    outs[0].largest_gather = std::max(outs[0].largest_gather, collectives[r]->largest());
  }
  return outs[0];
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("tree cut: ranks exchanging subtrees train as one process (7 chunks, 1 to 8 ranks)") {
  const RankRun alone = train_on(0);
  const int64_t param_bytes = (6 * 10 + 10 + 10 + 10 + 10 * 3 + 3) * 4;  // BatchNorm's 2 too
  for (int64_t ranks : {1, 2, 3, 4, 8}) {
    INFO(ranks << " ranks");
    const RankRun run = train_on(ranks);
    CHECK(same_bits(run.weights, alone.weights));
    CHECK(same_bits(run.losses, alone.losses));
    // A rank's largest gather is its gradient subtrees: one each on 1 rank ([0, 7)), 2 ranks
    // ([0, 4) | [4, 7)), 4 ranks ([0, 2) | [2, 4) | [4, 6) | {6}) and 8 (a chunk each, rank 7
    // none); two on 3 ranks ([0, 2) {2} | {3} {4} | {5} {6}). Per chunk, it would be 4.
    const int64_t roots = ranks == 3 ? 2 : 1;
    CHECK(run.largest_gather == roots * param_bytes);
  }
}
