#include "checkpoint/background_writer.h"

#include <new>

#include "checkpoint/io.h"
#include "util/error.h"

namespace nnstate::checkpoint {

WriteResult run_write_job(WriteJob &job, const WriteHook &hook) {
  WriteResult result;
  result.global_step = job.global_step;
  result.asynchronous = job.asynchronous;
  for (const WriteTarget &t : job.targets) result.paths.push_back(t.path);
  try {
    if (job.prepare) job.prepare();
    for (const WriteTarget &target : job.targets) {
      if (hook) hook(WritePhase::begin, target.path);
      FileSink sink(target.path, job.sync);
      // In the background, CRCs stay on the writer's thread: a helper would take the core that
      // training runs on.
      job.image->write(sink, !job.asynchronous);
      if (hook) hook(WritePhase::written, target.path);
      sink.commit();
      result.bytes += sink.position();
      if (hook) hook(WritePhase::committed, target.path);
      if (target.after_commit) target.after_commit();
    }
  } catch (const Error &e) {
    result.status = e.status();
    result.message = e.what();
  } catch (const std::bad_alloc &) {
    result.status = NNSTATE_ERR_OUT_OF_MEMORY;
    result.message = "out of memory while writing a checkpoint";
  } catch (const std::exception &e) {
    result.status = NNSTATE_ERR_INTERNAL;
    result.message = std::string("internal error while writing a checkpoint: ") + e.what();
  }
  return result;
}

BackgroundWriter::~BackgroundWriter() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !job_; });
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool BackgroundWriter::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return job_.has_value();
}

void BackgroundWriter::start(WriteJob job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (job_ || result_) fail(NNSTATE_ERR_INTERNAL, "a checkpoint write is still pending");
    job.asynchronous = true;
    job_ = std::move(job);
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  changed_.notify_all();
}

void BackgroundWriter::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !job_; });
}

std::optional<WriteResult> BackgroundWriter::take_result() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (job_) return std::nullopt;
  std::optional<WriteResult> taken = std::move(result_);
  result_.reset();
  return taken;
}

void BackgroundWriter::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || job_; });
    if (!job_) return;  // stopping with nothing to write
    // The job is only read here until it is cleared; start() refuses to replace it meanwhile.
    WriteJob &job = *job_;
    lock.unlock();
    WriteResult result = run_write_job(job, hook_);
    job.image.reset();  // the staging buffer may be reused once the job is cleared
    lock.lock();
    result_ = std::move(result);
    job_.reset();
    changed_.notify_all();
  }
}

}  // namespace nnstate::checkpoint
