// Asynchronous checkpoint saves: the writer is stopped at exact save phases by a hook (never by
// time), so each race -- training going on while a file is written, a save waiting for the one
// in flight, a skipped save, a failure reported later, a kill mid-write -- happens the same way
// at any machine load.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/load.h"
#include "checkpoint/policy.h"
#include "checkpoint/save.h"
#include "test_checkpoint_util.h"
#include "train/observer_list.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::checkpoint;
using namespace ckpt_test;

namespace {

struct Data {
  std::vector<float> x, y;
  Data() {
    Rng rng(7, RngStream::init);
    for (int i = 0; i < 150; ++i) {
      for (int f = 0; f < 4; ++f) x.push_back(rng.normal() + (f == i % 3 ? 1.0f : 0.0f));
      y.push_back(static_cast<float>(i % 3));
    }
  }
  Dataset all() const {
    Dataset d;
    d.inputs = x.data();
    d.targets = y.data();
    d.samples = 150;
    d.input_size = 4;
    d.target_size = 1;
    return d;
  }
};

void build(Model &m) {
  LayerConfig l(LayerKind::linear);
  auto &l_o = l.as<LinearConfig>();
  l_o.in_features = 4;
  l_o.out_features = 16;
  m.add_layer(l);
  LayerConfig relu(LayerKind::relu);
  m.add_layer(relu);
  l_o.in_features = 16;
  l_o.out_features = 3;
  m.add_layer(l);
  m.set_loss(LossKind::cross_entropy);
  m.set_optimizer(default_optimizer_config(OptimizerKind::adam));
}

TrainerConfig trainer_config(int64_t epochs) {
  TrainerConfig c;
  c.epochs = epochs;
  c.batch_size = 25;  // 6 batches per epoch
  return c;
}

// One model and trainer, rebuilt identically for each run.
struct Run {
  Model model{3};
  std::unique_ptr<Trainer> trainer;
  explicit Run(int64_t epochs = 1) {
    build(model);
    trainer = std::make_unique<Trainer>(model, trainer_config(epochs));
  }
};

PolicyConfig async_config(const std::string &directory) {
  PolicyConfig c;
  c.directory = directory;
  c.every_epochs = 0;
  c.every_steps = 2;
  c.keep_last = 0;
  c.keep_best = 0;
  c.async = true;
  c.created_unix_ns = 1;
  return c;
}

std::string step_file(const std::string &directory, int64_t epoch, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof name, "/ckpt-e%06lld-s%012lld.nnst", static_cast<long long>(epoch),
                static_cast<long long>(step));
  return directory + name;
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> names_in(const std::string &directory) {
  std::vector<std::string> names;
  if (DIR *dir = opendir(directory.c_str())) {
    while (const dirent *e = readdir(dir)) {
      if (e->d_name[0] != '.' || std::string(e->d_name).rfind(kTemporaryPrefix, 0) == 0)
        names.push_back(e->d_name);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool has_temporary(const std::string &directory) {
  for (const std::string &n : names_in(directory)) {
    if (is_temporary_name(n)) return true;
  }
  return false;
}

// Holds the writer at one phase of the save whose path contains `match`, until released.
class Gate {
 public:
  Gate(WritePhase phase, std::string match) : phase_(phase), match_(std::move(match)) {}

  void hook(WritePhase phase, const std::string &path) {
    std::unique_lock<std::mutex> lock(mutex_);
    events_.push_back(name(phase) + " " + path.substr(path.find_last_of('/') + 1));
    if (phase != phase_ || path.find(match_) == std::string::npos || reached_) return;
    reached_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
    if (before_continue_) before_continue_();
  }
  WriteHook as_hook() {
    return [this](WritePhase p, const std::string &path) { hook(p, path); };
  }
  void wait_reached() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return reached_; });
  }
  // `then` runs on the writer's thread before it goes on.
  void release(std::function<void()> then = {}) {
    std::lock_guard<std::mutex> lock(mutex_);
    before_continue_ = std::move(then);
    released_ = true;
    changed_.notify_all();
  }
  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  static std::string name(WritePhase p) {
    switch (p) {
      case WritePhase::begin:
        return "begin";
      case WritePhase::written:
        return "written";
      case WritePhase::committed:
        return "committed";
      case WritePhase::waiting:
        return "waiting";
    }
    return "?";
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  WritePhase phase_;
  std::string match_;
  bool reached_ = false, released_ = false;
  std::function<void()> before_continue_;
  std::vector<std::string> events_;
};

// Runs `at(step)` on the training thread after the policy's after_batch of each step.
struct Probe : TrainerObserver {
  std::function<void(int64_t)> at;
  void after_batch(Trainer &t) override {
    if (at) at(t.state().global_step);
  }
};

StopReason fit(Run &run, const Data &data, std::initializer_list<TrainerObserver *> observers) {
  ObserverList list(observers);
  return run.trainer->fit(data.all(), nullptr, &list);
}

// Makes every later save into `directory` fail for real: the directory becomes a file.
void break_directory(const std::string &directory, const std::string &moved_to) {
  REQUIRE(::rename(directory.c_str(), moved_to.c_str()) == 0);
  FILE *f = std::fopen(directory.c_str(), "w");
  REQUIRE(f);
  std::fclose(f);
}

}  // namespace

TEST_CASE("async save: training goes on while the file is written") {
  TempDir tmp;
  const Data data;
  Run run;
  Gate gate(WritePhase::written, "s000000000002");
  PolicyConfig c = async_config(tmp.path);
  c.write_hook = gate.as_hook();
  CheckpointPolicy policy(c);
  Probe probe;
  bool checked = false;
  probe.at = [&](int64_t step) {
    if (step == 1) {
      // The staging buffer is allocated (and faulted in by the writer) before the first save,
      // which then costs only its copy; that warm-up is no save.
      CHECK(policy.stats().staging_peak_bytes > 0);
      CHECK(policy.stats().completed == 0);
    }
    if (step != 3) return;
    // The step-2 file is fully written to its temporary but not renamed, and this thread has
    // already trained step 3.
    gate.wait_reached();
    CHECK(policy.busy());
    CHECK_FALSE(exists(step_file(tmp.path, 0, 2)));
    CHECK(has_temporary(tmp.path));
    checked = true;
    gate.release();
  };
  CHECK(fit(run, data, {&policy, &probe}) == StopReason::completed);
  CHECK(checked);
  CHECK_FALSE(policy.busy());  // fit returns only once every save is on disk
  for (int64_t step : {2, 4, 6}) {
    Run fresh;
    resume_trainer(*fresh.trainer, step_file(tmp.path, 0, step));
    CHECK(fresh.trainer->state().global_step == step);
  }
  CHECK(policy.stats().completed == 3);
  CHECK(policy.stats().failed == 0);
  CHECK_FALSE(has_temporary(tmp.path));
}

TEST_CASE("async save: a save due while one is written waits for it") {
  TempDir tmp;
  const Data data;
  Run run;
  Gate gate(WritePhase::written, "s000000000002");
  PolicyConfig c = async_config(tmp.path);
  // The training thread announces that it waits; the writer, held at `written` of step 2, is
  // let go only then, so the wait certainly overlapped the write.
  c.write_hook = [&](WritePhase phase, const std::string &path) {
    gate.hook(phase, path);
    if (phase == WritePhase::waiting && path.find("s000000000004") != std::string::npos) {
      gate.wait_reached();
      gate.release();
    }
  };
  CheckpointPolicy policy(c);
  CHECK(fit(run, data, {&policy}) == StopReason::completed);
  const std::vector<std::string> events = gate.events();
  const auto at = [&](const std::string &event) {
    return std::find(events.begin(), events.end(), event) - events.begin();
  };
  const auto waiting = at("waiting ckpt-e000000-s000000000004.nnst");
  const auto written = at("written ckpt-e000000-s000000000002.nnst");
  const auto committed = at("committed ckpt-e000000-s000000000002.nnst");
  const auto next = at("begin ckpt-e000000-s000000000004.nnst");
  REQUIRE(next < static_cast<std::ptrdiff_t>(events.size()));
  CHECK(written < committed);
  CHECK(waiting < committed);  // waited while step 2 was held before its rename
  CHECK(committed < next);     // and started step 4 only after
  CHECK(policy.stats().waited >= 1);
  CHECK(policy.stats().skipped == 0);
  CHECK(policy.stats().completed == 3);
  CHECK(exists(step_file(tmp.path, 0, 4)));
}

TEST_CASE("async save with skip_when_busy: a periodic save due meanwhile is skipped and counted") {
  TempDir tmp;
  const Data data;
  Run run;
  Gate gate(WritePhase::written, "s000000000002");
  PolicyConfig c = async_config(tmp.path);
  c.skip_when_busy = true;
  c.write_hook = gate.as_hook();
  CheckpointPolicy policy(c);
  Probe probe;
  probe.at = [&](int64_t step) {
    if (step != 5) return;
    gate.release();
    policy.wait_idle();  // step 6 finds the writer idle
  };
  CHECK(fit(run, data, {&policy, &probe}) == StopReason::completed);
  CHECK(policy.stats().skipped == 1);
  CHECK(policy.stats().waited == 0);
  CHECK(policy.stats().completed == 2);
  CHECK(exists(step_file(tmp.path, 0, 2)));
  CHECK_FALSE(exists(step_file(tmp.path, 0, 4)));
  CHECK(exists(step_file(tmp.path, 0, 6)));
}

TEST_CASE("async save: a failed background save is reported at the next boundary and by on_save") {
  TempDir tmp;
  const std::string directory = tmp.file("ck");
  const Data data;
  Run run;
  Gate gate(WritePhase::begin, "s000000000002");
  PolicyConfig c = async_config(directory);
  c.write_hook = gate.as_hook();
  std::vector<WriteResult> reports;
  c.on_save = [&](const WriteResult &r) {
    reports.push_back(r);
    return true;
  };
  CheckpointPolicy policy(c);
  Probe probe;
  probe.at = [&](int64_t step) {
    if (step != 3) return;
    // A real I/O failure: the writer cannot create its temporary file.
    gate.release([&] { break_directory(directory, tmp.file("moved")); });
    policy.wait_idle();
  };
  std::string message;
  const nnstate_status status = status_of([&] { fit(run, data, {&policy, &probe}); }, &message);
  CHECK(status == NNSTATE_ERR_IO);
  CHECK(message.find("checkpoint save in the background failed") != std::string::npos);
  CHECK(message.find("ckpt-e000000-s000000000002.nnst") != std::string::npos);
  CHECK(run.trainer->state().global_step == 4);  // the step after the failure was noticed
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].status == NNSTATE_ERR_IO);
  CHECK(reports[0].global_step == 2);
  CHECK(reports[0].asynchronous);
  CHECK(policy.stats().failed == 1);
  CHECK(policy.stats().completed == 0);
  // Reported once: flushing finds nothing more.
  CHECK(status_of([&] { policy.flush(run.trainer.get()); }) == NNSTATE_OK);
}

TEST_CASE("async save: fit does not return success after its final save failed") {
  TempDir tmp;
  const std::string directory = tmp.file("ck");
  const Data data;
  Run run;
  PolicyConfig c = async_config(directory);
  c.every_steps = 0;  // only the final save
  c.write_hook = [&](WritePhase phase, const std::string &) {
    if (phase == WritePhase::begin) break_directory(directory, tmp.file("moved"));
  };
  CheckpointPolicy policy(c);
  CHECK(status_of([&] { fit(run, data, {&policy}); }) == NNSTATE_ERR_IO);
  CHECK(run.trainer->state().global_step == 6);
  CHECK(policy.stats().failed == 1);
}

TEST_CASE("async save: retention and resume_latest see a checkpoint only once it is complete") {
  TempDir tmp;
  const Data data;
  Run run;
  Gate written(WritePhase::written, "s000000000004");
  Gate committed(WritePhase::committed, "s000000000006");
  PolicyConfig c = async_config(tmp.path);
  c.keep_last = 1;
  c.write_hook = [&](WritePhase phase, const std::string &path) {
    written.hook(phase, path);
    committed.hook(phase, path);
  };
  CheckpointPolicy policy(c);
  Probe probe;
  std::thread checker;
  probe.at = [&](int64_t step) {
    if (step == 5) {
      written.wait_reached();  // step 4's file is complete in its temporary, not renamed
      CHECK(exists(step_file(tmp.path, 0, 2)));
      CHECK_FALSE(exists(step_file(tmp.path, 0, 4)));
      Run other;
      const ResumeResult r = resume_latest(*other.trainer, tmp.path);
      CHECK(r.path == step_file(tmp.path, 0, 2));
      written.release();
    }
    if (step == 6) {
      // Step 6's file is renamed into place; step 4's is pruned only after that.
      checker = std::thread([&] {
        committed.wait_reached();
        CHECK(exists(step_file(tmp.path, 0, 4)));
        CHECK(exists(step_file(tmp.path, 0, 6)));
        committed.release();
      });
    }
  };
  CHECK(fit(run, data, {&policy, &probe}) == StopReason::completed);
  checker.join();
  CHECK(names_in(tmp.path) == std::vector<std::string>{"ckpt-e000000-s000000000006.nnst"});
}

TEST_CASE("async and sync saves write byte-identical files, best and best.nnst included") {
  TempDir async_dir, sync_dir;
  const Data data;
  Run run(3);
  PolicyConfig a = async_config(async_dir.path);
  a.every_epochs = 1;
  a.every_steps = 4;
  a.keep_last = 0;
  a.keep_best = 2;
  a.monitor = "loss";
  PolicyConfig s = a;
  s.directory = sync_dir.path;
  s.async = false;
  // Both policies see the same state at every boundary: any difference is the writer's.
  CheckpointPolicy async_policy(a), sync_policy(s);
  CHECK(fit(run, data, {&async_policy, &sync_policy}) == StopReason::completed);
  const std::vector<std::string> names = names_in(async_dir.path);
  CHECK(names == names_in(sync_dir.path));
  CHECK(std::count(names.begin(), names.end(), "best.nnst") == 1);
  CHECK(names.size() >= 6);
  for (const std::string &n : names) {
    CAPTURE(n);
    const std::vector<unsigned char> bytes = read_file(async_dir.file(n));
    CHECK(bytes.size() > 64);
    CHECK(bytes == read_file(sync_dir.file(n)));
  }
  CHECK(async_policy.stats().completed > 0);
  CHECK(async_policy.stats().bytes_written == sync_policy.stats().bytes_written);
  // The staging buffer holds the tensors of one checkpoint, reused by every save.
  SaveOptions o;
  o.trainer = run.trainer.get();
  CHECK(async_policy.stats().staging_peak_bytes == CheckpointImage(run.model, o).data_bytes());
  CHECK(sync_policy.stats().staging_peak_bytes == 0);
}

TEST_CASE("async save: a staging bound below the state falls back to synchronous saves") {
  TempDir bounded_dir, free_dir;
  const Data data;
  Run run;
  PolicyConfig bounded = async_config(bounded_dir.path);
  bounded.max_staging_bytes = 64;
  PolicyConfig unbounded = async_config(free_dir.path);
  CheckpointPolicy bounded_policy(bounded), free_policy(unbounded);
  CHECK(fit(run, data, {&bounded_policy, &free_policy}) == StopReason::completed);
  CHECK(bounded_policy.stats().synchronous_fallbacks == 3);
  CHECK(bounded_policy.stats().staging_peak_bytes == 0);
  CHECK(bounded_policy.stats().completed == 3);
  CHECK(free_policy.stats().synchronous_fallbacks == 0);
  for (const std::string &n : names_in(free_dir.path)) {
    CHECK(read_file(free_dir.file(n)) == read_file(bounded_dir.file(n)));
  }
  // A bound at least the state's size stages as usual.
  TempDir big_dir;
  Run again;
  PolicyConfig big = async_config(big_dir.path);
  big.max_staging_bytes = free_policy.stats().staging_peak_bytes;
  CheckpointPolicy big_policy(big);
  CHECK(fit(again, data, {&big_policy}) == StopReason::completed);
  CHECK(big_policy.stats().synchronous_fallbacks == 0);
  CHECK(big_policy.stats().staging_peak_bytes == big.max_staging_bytes);
}

// The child trains with asynchronous saves and stops its writer at `phase` of the step-4 save,
// where the parent kills it: the directory must still resume from a complete checkpoint.
TEST_CASE("async save: a kill in the middle of a background write leaves the previous checkpoint") {
  struct Case {
    WritePhase phase;
    int64_t resumed_step;  // the newest complete checkpoint after the kill
  };
  for (const Case k :
       {Case{WritePhase::begin, 2}, Case{WritePhase::written, 2}, Case{WritePhase::committed, 4}}) {
    TempDir tmp;
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(ready[0]);
      const Data data;
      Run run;
      PolicyConfig c = async_config(tmp.path);
      c.keep_last = 1;
      c.write_hook = [&](WritePhase phase, const std::string &path) {
        if (phase != k.phase || path.find("s000000000004") == std::string::npos) return;
        const char byte = 1;
        if (::write(ready[1], &byte, 1) != 1) ::_exit(3);
        for (;;) ::pause();  // killed here
      };
      try {
        CheckpointPolicy policy(c);
        fit(run, data, {&policy});
      } catch (...) {
        ::_exit(2);
      }
      ::_exit(4);  // never reached: the step-4 save must have been held
    }
    ::close(ready[1]);
    char byte = 0;
    CHECK(::read(ready[0], &byte, 1) == 1);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(ready[0]);
    CHECK(WIFSIGNALED(status));
    Run fresh;
    const ResumeResult r = resume_latest(*fresh.trainer, tmp.path);
    CHECK(r.found);
    CHECK(r.warnings.empty());
    CHECK(fresh.trainer->state().global_step == k.resumed_step);
    // The next policy on the directory removes what the killed write left.
    CheckpointPolicy cleanup(async_config(tmp.path));
    CHECK_FALSE(has_temporary(tmp.path));
  }
}
