#include "signals.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace nnstate_cli {
namespace {

std::atomic<nnstate::Trainer *> g_trainer{nullptr};
volatile sig_atomic_t g_signal = 0;
static_assert(std::atomic<nnstate::Trainer *>::is_always_lock_free,
              "the handler may only touch lock-free atomics");

void on_stop_signal(int sig) {
  if (!g_signal) g_signal = sig;
  nnstate::Trainer *trainer = g_trainer.load();
  if (trainer) trainer->request_stop();
  static const char note[] =
      "\nnnstate: stopping after the current batch (send the signal again to abort)\n";
  const ssize_t ignored = write(STDERR_FILENO, note, sizeof note - 1);
  (void)ignored;
}

}  // namespace

void install_stop_signals() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // the next signal gets the default action: terminate
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void set_stop_target(nnstate::Trainer *trainer) {
  g_trainer.store(trainer);
}

int stop_signal() {
  return g_signal;
}

}  // namespace nnstate_cli
