#include "progress.h"

namespace nnstate_cli {
namespace {

constexpr int kBarWidth = 24;
constexpr double kRedrawSeconds = 0.1;  // a terminal need not redraw on every batch

std::string rate_text(double per_second) {
  char text[32];
  if (per_second >= 1e6) {
    std::snprintf(text, sizeof text, "%.2fM", per_second / 1e6);
  } else if (per_second >= 1e4) {
    std::snprintf(text, sizeof text, "%.1fk", per_second / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.0f", per_second);
  }
  return text;
}

std::string duration_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  }
  return text;
}

}  // namespace

std::string epoch_line(const nnstate_epoch_info &info, int64_t shown_epoch, int64_t total_epochs,
                       double seconds, double samples_per_second) {
  char text[320];
  std::snprintf(text, sizeof text,
                "epoch %lld/%lld loss=%.6g accuracy=%.4f val_loss=%.6g val_accuracy=%.4f lr=%.6g "
                "seconds=%.3f samples_per_second=%.0f",
                static_cast<long long>(shown_epoch), static_cast<long long>(total_epochs),
                info.loss, info.accuracy, info.val_loss, info.val_accuracy, info.lr, seconds,
                samples_per_second);
  return text;
}

Progress::Progress(FILE *out, bool bar, int64_t total_epochs, int64_t epoch_offset)
    : out_(out), bar_(bar), total_epochs_(total_epochs), epoch_offset_(epoch_offset) {
  start();
}

void Progress::start() {
  epoch_start_ = Clock::now();
  last_draw_ = epoch_start_;
  epoch_samples_ = 0;
}

void Progress::batch(const nnstate_batch_info &info) {
  epoch_samples_ += info.samples;
  if (!bar_) return;
  const auto now = Clock::now();
  if (info.batch < info.batches_per_epoch &&
      std::chrono::duration<double>(now - last_draw_).count() < kRedrawSeconds) {
    return;
  }
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  const double fraction =
      static_cast<double>(info.batch) / static_cast<double>(info.batches_per_epoch);
  const int filled = static_cast<int>(fraction * kBarWidth);
  char bar[kBarWidth + 1];
  for (int i = 0; i < kBarWidth; ++i) bar[i] = i < filled ? '=' : i == filled ? '>' : ' ';
  bar[kBarWidth] = '\0';
  const double eta = info.batch ? elapsed / static_cast<double>(info.batch) *
                                      static_cast<double>(info.batches_per_epoch - info.batch)
                                : 0.0;
  std::fprintf(out_, "\repoch %lld/%lld [%s] %lld/%lld %s samples/s loss %.4f ETA %s\033[K",
               static_cast<long long>(info.epoch + 1 + epoch_offset_),
               static_cast<long long>(total_epochs_), bar, static_cast<long long>(info.batch),
               static_cast<long long>(info.batches_per_epoch),
               rate_text(elapsed > 0 ? static_cast<double>(epoch_samples_) / elapsed : 0).c_str(),
               info.loss, duration_text(eta).c_str());
  std::fflush(out_);
  drawn_ = true;
}

double Progress::epoch(const nnstate_epoch_info &info) {
  const double seconds = std::chrono::duration<double>(Clock::now() - epoch_start_).count();
  clear();
  const double rate = seconds > 0 ? static_cast<double>(epoch_samples_) / seconds : 0.0;
  std::fprintf(
      out_, "%s\n",
      epoch_line(info, info.epoch + 1 + epoch_offset_, total_epochs_, seconds, rate).c_str());
  std::fflush(out_);
  start();
  return seconds;
}

void Progress::clear() {
  if (!drawn_) return;
  std::fprintf(out_, "\r\033[K");
  drawn_ = false;
}

}  // namespace nnstate_cli
