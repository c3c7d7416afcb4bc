// Resume time of a ~300 MB trainer checkpoint (a wide MLP with Adam's two moments) against the
// machine's raw read() of the same file into a pre-faulted buffer, page cache warm, measured
// alternately in the same run. Prints the median and best of each and their ratio; never run
// as a test.
//
//   resume_bench [DIR] [--runs N]      (DIR defaults to /tmp; N to 9)
//
// Resumes go through the public C API: nnstate_trainer_resume(path) and
// nnstate_trainer_resume_latest(directory) of the same file.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_util.h"
#include "nnstate/nnstate.h"

namespace {

using bench::now;
using bench::ok;

// 1024 -> 4096 -> 4096 -> 1024: 25.2 M parameters, 302 MB with Adam's exp_avg and exp_avg_sq.
constexpr int64_t kWidths[] = {1024, 4096, 4096, 1024};
constexpr size_t kLayers = sizeof kWidths / sizeof kWidths[0] - 1;
constexpr size_t kSamples = 8;

nnstate_network *make_network() {
  nnstate_network *net = nullptr;
  ok(nnstate_network_create(&net, 1), "create");
  for (size_t i = 0; i < kLayers; ++i) {
    if (i > 0) ok(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
    ok(nnstate_network_add_linear(net, kWidths[i], kWidths[i + 1], 1), "linear");
  }
  nnstate_optimizer_options adam;
  ok(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "adam options");
  ok(nnstate_network_set_optimizer(net, &adam), "optimizer");
  ok(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE), "loss");
  return net;
}

nnstate_trainer *make_trainer(nnstate_network *net) {
  nnstate_trainer_options o;
  ok(nnstate_trainer_options_init(&o), "trainer options");
  o.epochs = 1;
  o.batch_size = kSamples;
  nnstate_trainer *trainer = nullptr;
  ok(nnstate_trainer_create(&trainer, net, &o, nullptr, nullptr), "trainer");
  return trainer;
}

// Pre-faulted, 2 MiB aligned with transparent huge pages, as the library's large tensors are.
struct Buffer {
  explicit Buffer(size_t n) : size(n) {
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t rounded = (n + kHuge - 1) / kHuge * kHuge;
    data = static_cast<char *>(std::aligned_alloc(kHuge, rounded));
    if (!data) std::exit(1);
    ::madvise(data, rounded, MADV_HUGEPAGE);
    std::memset(data, 1, rounded);
  }
  ~Buffer() { std::free(data); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  char *data;
  size_t size;
};

double raw_read(Buffer &b, const std::string &path) {
  const double t = now();
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) std::exit(1);
  size_t done = 0;
  while (done < b.size) {
    const ssize_t n = ::read(fd, b.data + done, std::min<size_t>(b.size - done, size_t{1} << 20));
    if (n <= 0) std::exit(1);
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return now() - t;
}

uint64_t file_size(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void report(const char *what, const std::vector<double> &times, const std::vector<double> &raw,
            double bytes) {
  const double m = median(times), best = *std::min_element(times.begin(), times.end());
  std::printf("  %-22s median %7.4f s  %6.2f GB/s  (%.2f of raw read)   best %7.4f s  %6.2f GB/s\n",
              what, m, bytes / m / 1e9, median(raw) / m, best, bytes / best / 1e9);
}

}  // namespace

int main(int argc, char **argv) {
  std::string dir = "/tmp";
  int runs = 9;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      dir = a;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  char work[4096];
  std::snprintf(work, sizeof work, "%s/nnstate_resume_bench_XXXXXX", dir.c_str());
  if (!::mkdtemp(work)) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string path = std::string(work) + "/ckpt-e000001-s000000000001.nnst";
  const char *core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("resume_bench: %s, %d runs, OPENBLAS_CORETYPE=%s\n", work, runs, core ? core : "");

  // One epoch of one batch gives Adam its moments and the trainer a history row.
  nnstate_network *net = make_network();
  nnstate_trainer *trainer = make_trainer(net);
  std::vector<float> x(kSamples * static_cast<size_t>(kWidths[0]), 0.5f);
  std::vector<float> y(kSamples * static_cast<size_t>(kWidths[kLayers]), 0.25f);
  nnstate_dataset *data = nullptr;
  ok(nnstate_dataset_create(&data, x.data(), x.size(), y.data(), y.size(), kSamples), "dataset");
  ok(nnstate_trainer_fit(trainer, data, nullptr, nullptr), "fit");
  nnstate_save_options so;
  ok(nnstate_save_options_init(&so), "save options");
  so.fsync = 0;
  ok(nnstate_trainer_save(trainer, path.c_str(), &so), "save");
  const double bytes = static_cast<double>(file_size(path));
  std::printf("  checkpoint             %.1f MB (%zu Linear layers %lld..%lld wide, Adam)\n",
              bytes / 1e6, kLayers, static_cast<long long>(kWidths[0]),
              static_cast<long long>(kWidths[1]));

  // Each measurement alternates with its reference, so that load from other processes
  // affects both alike; the first round only warms the page cache and the buffers.
  Buffer buffer(static_cast<size_t>(bytes));
  std::vector<double> t_raw, t_resume, t_latest;
  for (int r = 0; r <= runs; ++r) {
    const double raw = raw_read(buffer, path);
    double t = now();
    ok(nnstate_trainer_resume(trainer, path.c_str()), "resume");
    const double resume = now() - t;
    int32_t found = 0;
    t = now();
    ok(nnstate_trainer_resume_latest(trainer, work, &found), "resume_latest");
    const double latest = now() - t;
    if (!found) {
      std::fprintf(stderr, "resume_latest found no checkpoint in %s\n", work);
      return 1;
    }
    if (r == 0) continue;
    t_raw.push_back(raw);
    t_resume.push_back(resume);
    t_latest.push_back(latest);
  }
  report("raw read()", t_raw, t_raw, bytes);
  report("trainer_resume", t_resume, t_raw, bytes);
  report("trainer_resume_latest", t_latest, t_raw, bytes);

  nnstate_dataset_free(data);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  ::unlink(path.c_str());
  ::rmdir(work);
  return 0;
}
