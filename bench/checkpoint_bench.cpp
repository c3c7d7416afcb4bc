// Checkpoint save/load/verify/open throughput against the raw limits measured in the same run:
// write (to the page cache, and with fsync), read (pread into already-faulted memory), memcpy;
// and against torch.save/torch.load of the same state (PyTorch from /usr/bin/python3). Prints
// ratios and the targets of issue 15; never run as a test.
//
//   checkpoint_bench [DIR] [--sizes 100,1000] [--no-torch]
//
// Sizes are MB of parameters; Adam doubles that with exp_avg and exp_avg_sq (the "state").
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "nnstate/nnstate.h"

namespace {

using bench::now;
using bench::ok;

long status_kb(const char *field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return -1;
}

// The 1-minute load average: the machine's other work, printed beside each size's figures.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  in >> first;
  return first.empty() ? "?" : first;
}

// Resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0).
void reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

struct FreeAligned {
  void operator()(float *p) const { std::free(p); }
};

struct Buffers {
  std::vector<std::unique_ptr<float[], FreeAligned>> parts;
  std::vector<size_t> counts;
};

// Memory laid out like the network's state: one buffer per tensor, pre-faulted, and like
// nnstate's tensors 2 MiB aligned with transparent huge pages when large (the kernel copies
// from huge pages markedly faster here, so anything else would flatter the library).
Buffers make_buffers(const std::vector<size_t> &counts) {
  constexpr size_t kHuge = size_t{2} << 20;
  Buffers b;
  b.counts = counts;
  for (size_t n : counts) {
    size_t bytes = (n * sizeof(float) + kHuge - 1) / kHuge * kHuge;
    auto *p = static_cast<float *>(std::aligned_alloc(kHuge, bytes));
    if (!p) std::exit(1);
    ::madvise(p, bytes, MADV_HUGEPAGE);
    b.parts.emplace_back(p);
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<float>(i % 251) * 0.01f;
  }
  return b;
}

double raw_write(const Buffers &b, const std::string &path, bool sync) {
  double t = now();
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  for (size_t i = 0; i < b.parts.size(); ++i) {
    const char *p = reinterpret_cast<const char *>(b.parts[i].get());
    size_t left = b.counts[i] * sizeof(float);
    while (left > 0) {
      ssize_t n = ::write(fd, p, std::min<size_t>(left, size_t{1} << 20));
      if (n <= 0) std::exit(1);
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (sync) ::fsync(fd);
  ::close(fd);
  ::rename(tmp.c_str(), path.c_str());
  return now() - t;
}

double raw_read(Buffers &b, const std::string &path) {
  double t = now();
  int fd = ::open(path.c_str(), O_RDONLY);
  off_t offset = 0;
  for (size_t i = 0; i < b.parts.size(); ++i) {
    char *p = reinterpret_cast<char *>(b.parts[i].get());
    size_t left = b.counts[i] * sizeof(float);
    while (left > 0) {
      ssize_t n = ::pread(fd, p, std::min<size_t>(left, size_t{1} << 20), offset);
      if (n <= 0) std::exit(1);
      p += n;
      offset += n;
      left -= static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return now() - t;
}

// pread of the file into memory mapped for it, as a rebuild gets its tensors (huge_pages_allocate:
// anonymous huge pages, not the heap, which would hand back pages an earlier run had faulted in):
// what any load into new storage pays, page faults included. On a VM the first touch of such
// pages can cost far more than the read (the host backs them lazily and takes freed ones back).
double raw_read_fresh(const std::string &path, size_t bytes) {
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t mapped = (bytes + kHuge - 1) / kHuge * kHuge + kHuge;
  double t = now();
  void *memory =
      ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) std::exit(1);
  char *p =
      reinterpret_cast<char *>((reinterpret_cast<uintptr_t>(memory) + kHuge - 1) / kHuge * kHuge);
  ::madvise(p, mapped - kHuge, MADV_HUGEPAGE);
  int fd = ::open(path.c_str(), O_RDONLY);
  for (size_t done = 0; done < bytes;) {
    ssize_t n = ::pread(fd, p + done, std::min<size_t>(bytes - done, size_t{1} << 20),
                        static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  ::munmap(memory, mapped);
  return now() - t;
}

double raw_memcpy(Buffers &dst, const Buffers &src) {
  double t = now();
  for (size_t i = 0; i < src.parts.size(); ++i) {
    std::memcpy(dst.parts[i].get(), src.parts[i].get(), src.counts[i] * sizeof(float));
  }
  return now() - t;
}

uint64_t file_size(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Linear layers of width x width making `mb` MB of parameters (one layer, or four from 500 MB).
nnstate_network *make_network(size_t mb, int64_t *width_out, int *layers_out) {
  const int layers = mb >= 500 ? 4 : 1;
  const int64_t width = static_cast<int64_t>(std::sqrt(static_cast<double>(mb) * 1e6 / 4 / layers));
  nnstate_network *net = nullptr;
  ok(nnstate_network_create(&net, 1), "create");
  for (int i = 0; i < layers; ++i) ok(nnstate_network_add_linear(net, width, width, 1), "linear");
  nnstate_optimizer_options o;
  ok(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_ADAM), "options");
  ok(nnstate_network_set_optimizer(net, &o), "optimizer");
  ok(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE), "loss");
  *width_out = width;
  *layers_out = layers;
  return net;
}

void run_torch(const std::string &dir, int64_t width, int layers, double ref_write, double ref_read,
               double state_bytes) {
  std::string script = std::string(NNSTATE_BENCH_DIR) + "/checkpoint_torch.py";
  std::string command = "/usr/bin/python3 " + script + " " + dir + " " + std::to_string(width) +
                        " " + std::to_string(layers);
  FILE *p = ::popen(command.c_str(), "r");
  if (!p) return;
  double save = 0, load = 0;
  if (std::fscanf(p, "%lf %lf", &save, &load) == 2) {
    std::printf("  torch.save             %7.3f s  %6.2f GB/s  (%.2f of raw write)\n", save,
                state_bytes / save / 1e9, ref_write / save);
    std::printf("  torch.load             %7.3f s  %6.2f GB/s  (%.2f of raw read)\n", load,
                state_bytes / load / 1e9, ref_read / load);
  }
  ::pclose(p);
}

}  // namespace

int main(int argc, char **argv) {
  std::string dir = "/tmp";
  std::vector<size_t> sizes = {100, 1000};
  bool torch = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-torch") {
      torch = false;
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::string list = argv[++i];
      for (size_t pos = 0; pos < list.size();) {
        size_t comma = list.find(',', pos);
        sizes.push_back(std::stoul(list.substr(pos, comma - pos)));
        pos = comma == std::string::npos ? list.size() : comma + 1;
      }
    } else {
      dir = a;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const char *core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("checkpoint_bench: dir %s, OPENBLAS_CORETYPE=%s\n", dir.c_str(), core ? core : "");

  for (size_t mb : sizes) {
    int64_t width;
    int layers;
    nnstate_network *net = make_network(mb, &width, &layers);
    std::vector<size_t> counts;
    for (int l = 0; l < layers; ++l) {
      counts.push_back(static_cast<size_t>(width * width));
      counts.push_back(static_cast<size_t>(width));
    }
    std::vector<size_t> state_counts;
    for (int copy = 0; copy < 3; ++copy) {
      state_counts.insert(state_counts.end(), counts.begin(), counts.end());
    }
    double state_bytes = 0;
    for (size_t n : state_counts) state_bytes += static_cast<double>(n) * 4;
    std::printf("\n%zu MB of parameters: %d x Linear(%lld, %lld) + Adam = %.1f MB of state\n", mb,
                layers, static_cast<long long>(width), static_cast<long long>(width),
                state_bytes / 1e6);

    std::printf("  load average at start %s\n", load_average().c_str());
    const std::string raw_path = dir + "/bench_raw.bin";
    const std::string path = dir + "/bench.nnst";
    const int runs = mb >= 500 ? 5 : 9;
    nnstate_save_options so;
    ok(nnstate_save_options_init(&so), "save options");
    auto save = [&](int sync) {
      so.fsync = sync;
      double t = now();
      ok(nnstate_checkpoint_save(net, path.c_str(), &so), "save");
      return now() - t;
    };
    auto load_into = [&] {
      double t = now();
      ok(nnstate_checkpoint_load_into(net, path.c_str(), nullptr), "load_into");
      return now() - t;
    };
    auto verify = [&] {
      double t = now();
      ok(nnstate_checkpoint_verify(path.c_str()), "verify");
      return now() - t;
    };
    auto load_new = [&](int32_t what, bool mapped) {
      nnstate_load_options lo;
      ok(nnstate_load_options_init(&lo), "load options");
      lo.what = what;
      double t = now();
      nnstate_network *loaded = nullptr;
      ok(mapped ? nnstate_checkpoint_load_mapped(&loaded, path.c_str(), &lo)
                : nnstate_checkpoint_load(&loaded, path.c_str(), &lo),
         "load");
      double e = now() - t;
      nnstate_network_free(loaded);
      return e;
    };
    auto open_view = [&](int verify_crc) {
      nnstate_load_options lo;
      ok(nnstate_load_options_init(&lo), "load options");
      lo.verify_crc = verify_crc;
      double t = now();
      nnstate_checkpoint *view = nullptr;
      ok(nnstate_checkpoint_open(&view, path.c_str(), &lo), "open");
      double e = now() - t;
      nnstate_checkpoint_free(view);
      return e;
    };
    // Each measurement alternates with its reference, best of `runs`, so that load from other
    // processes affects both alike.
    double t_write = 1e30, t_write_sync = 1e30, t_read = 1e30, t_memcpy = 1e30;
    double t_save = 1e30, t_save_sync = 1e30, t_load_into = 1e30, t_verify = 1e30;
    double t_load_new = 1e30, t_open = 1e30, t_open_verified = 1e30, t_load_mapped = 1e30;
    double t_read_fresh = 1e30;
    // Each run's save over its raw write, run next to each other: on this kind of VM fresh
    // page-cache pages come 2-5x slower or faster from one second to the next (the host takes
    // freed pages back), which the independent bests above cannot tell from the library's cost.
    std::vector<double> paired[2];
    const long rss_before = status_kb("VmRSS:");
    reset_peak_rss();
    t_save = save(0);
    const long peak = status_kb("VmHWM:");
    {
      // One copy of the state for raw write/read (more would push the 1 GB case into memory
      // reclaim); memcpy is measured on 256 MB and scaled.
      Buffers a = make_buffers(state_counts);
      const std::vector<size_t> slice = {size_t{64} << 20};
      Buffers from = make_buffers(slice), to = make_buffers(slice);
      const double slice_scale = state_bytes / static_cast<double>(slice[0] * sizeof(float));
      // Every write starts with no dirty pages (sync(), untimed): otherwise one write pays for
      // the writeback of the one before it (at 1 GB the page cache's dirty limits are reached).
      // Which of the two goes first alternates: fresh memory is slower to get the first time
      // (the VM's host backs freed pages lazily), which would favour whichever ran second.
      for (int r = 0; r < runs; ++r) {
        for (int sync = 0; sync < 2; ++sync) {
          double raw = 0, ours = 0;
          for (int k = 0; k < 2; ++k) {
            ::sync();
            if ((k + r) % 2 == 0) {
              raw = raw_write(a, raw_path, sync != 0);
              double &best = sync ? t_write_sync : t_write;
              best = std::min(best, raw);
            } else {
              ours = save(sync);
              double &best = sync ? t_save_sync : t_save;
              best = std::min(best, ours);
            }
          }
          paired[sync].push_back(raw / ours);
        }
        t_read = std::min(t_read, raw_read(a, raw_path));
        t_load_into = std::min(t_load_into, load_into());
        t_read = std::min(t_read, raw_read(a, raw_path));
        t_verify = std::min(t_verify, verify());
        t_memcpy = std::min(t_memcpy, raw_memcpy(to, from) * slice_scale);
      }
      ::unlink(raw_path.c_str());
    }
    // Without the reference buffers, as a user's process would load: the rebuild allocates the
    // whole state anew. Its reference, raw read, was measured just before.
    const size_t file_bytes = static_cast<size_t>(file_size(path));
    for (int r = 0; r < runs; ++r) {
      // Alternating which goes first: neither always gets the pages the other just freed.
      for (int k = 0; k < 2; ++k) {
        if ((k + r) % 2 == 0) {
          t_read_fresh = std::min(t_read_fresh, raw_read_fresh(path, file_bytes));
        } else {
          t_load_new = std::min(t_load_new, load_new(NNSTATE_LOAD_FULL, false));
        }
      }
      t_load_mapped = std::min(t_load_mapped, load_new(NNSTATE_LOAD_FULL, true));
      t_open = std::min(t_open, open_view(0));
    }
    t_open_verified = open_view(1);
    // Loading for inference: the anonymous memory it leaves resident against the weights' bytes.
    long anon_weights[2] = {0, 0};
    for (int mapped = 0; mapped < 2; ++mapped) {
      const long anon_before = status_kb("RssAnon:");
      nnstate_load_options lo;
      ok(nnstate_load_options_init(&lo), "load options");
      lo.what = NNSTATE_LOAD_WEIGHTS_ONLY;
      nnstate_network *loaded = nullptr;
      ok(mapped ? nnstate_checkpoint_load_mapped(&loaded, path.c_str(), &lo)
                : nnstate_checkpoint_load(&loaded, path.c_str(), &lo),
         "load weights");
      anon_weights[mapped] = status_kb("RssAnon:") - anon_before;
      nnstate_network_free(loaded);
    }
    const double weight_bytes = state_bytes / 3;
    std::printf("  raw write (page cache) %7.3f s  %6.2f GB/s\n", t_write,
                state_bytes / t_write / 1e9);
    std::printf("  raw write + fsync      %7.3f s  %6.2f GB/s\n", t_write_sync,
                state_bytes / t_write_sync / 1e9);
    std::printf("  raw read (pread)       %7.3f s  %6.2f GB/s\n", t_read,
                state_bytes / t_read / 1e9);
    std::printf("  memcpy                 %7.3f s  %6.2f GB/s\n", t_memcpy,
                state_bytes / t_memcpy / 1e9);
    std::printf("  pread into huge pages  %7.3f s  %6.2f GB/s  (%.2f of raw read: page faults)\n",
                t_read_fresh, state_bytes / t_read_fresh / 1e9, t_read / t_read_fresh);
    for (int sync = 0; sync < 2; ++sync) {
      std::vector<double> &ratios = paired[sync];
      std::sort(ratios.begin(), ratios.end());
      std::printf("  save / raw write%s, run by run: median %.2f of %zu (%.2f to %.2f)\n",
                  sync ? " + fsync" : " (page cache)", ratios[ratios.size() / 2], ratios.size(),
                  ratios.front(), ratios.back());
    }
    const double overhead = static_cast<double>(file_size(path)) - state_bytes;
    std::printf(
        "  nnstate save           %7.3f s  %6.2f GB/s  (%.2f of raw write; target >= 0.85)\n",
        t_save, state_bytes / t_save / 1e9, t_write / t_save);
    std::printf(
        "  nnstate save + fsync   %7.3f s  %6.2f GB/s  (%.2f of raw write + fsync; target >= "
        "0.90)\n",
        t_save_sync, state_bytes / t_save_sync / 1e9, t_write_sync / t_save_sync);
    std::printf(
        "  nnstate load_into      %7.3f s  %6.2f GB/s  (%.2f of raw read; target >= 0.70)\n",
        t_load_into, state_bytes / t_load_into / 1e9, t_read / t_load_into);
    std::printf(
        "  nnstate load (rebuild) %7.3f s  %6.2f GB/s  (%.2f of raw read, %.2f of pread into new "
        "huge pages; target >= 0.70)\n",
        t_load_new, state_bytes / t_load_new / 1e9, t_read / t_load_new, t_read_fresh / t_load_new);
    std::printf(
        "  nnstate load_mapped    %7.3f s  %6.2f GB/s  (%.2f of raw read; target >= 0.70)\n",
        t_load_mapped, state_bytes / t_load_mapped / 1e9, t_read / t_load_mapped);
    std::printf(
        "  nnstate verify         %7.3f s  %6.2f GB/s  (%.2f of raw read; target >= 0.80)\n",
        t_verify, state_bytes / t_verify / 1e9, t_read / t_verify);
    std::printf("  open (mmap view)       %7.3f ms (target < 10 ms); with every CRC %.3f s\n",
                t_open * 1e3, t_open_verified);
    std::printf(
        "  weights-only load      +%.1f MiB anonymous memory (mapped: +%.1f) for %.1f MiB of "
        "weights\n",
        static_cast<double>(anon_weights[0]) / 1024.0,
        static_cast<double>(anon_weights[1]) / 1024.0, weight_bytes / (1 << 20));
    std::printf("  file overhead          %.0f bytes = %.5f%% of tensor bytes (target <= 0.1%%)\n",
                overhead, 100.0 * overhead / state_bytes);
    std::printf("  peak RSS during save   +%.1f MiB over the %.1f MiB before (target <= 64 MiB)\n",
                static_cast<double>(peak - rss_before) / 1024.0, rss_before / 1024.0);
    std::printf("  load average at end   %s\n", load_average().c_str());
    ::unlink(path.c_str());
    nnstate_network_free(net);
    if (torch) run_torch(dir, width, layers, t_write, t_read, state_bytes);
  }
  return 0;
}
