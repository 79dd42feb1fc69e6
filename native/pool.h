// The native kernel's persistent thread pool (included once, by ring.cc).
//
// Creating std::threads on every large op cost tens of microseconds per thread and call; these
// workers are created once (lazily, as many as a call asks for) and sleep on a condition variable
// between calls, so an idle pool takes no CPU from the other party processes that share the cores.
// A call hands out task indices through an atomic counter, and the calling thread takes them too:
// whatever a worker has not claimed (it was slow to wake, it could not be created) runs on the
// caller, so a call never waits for a thread that is not working for it.
//
// One call uses the workers at a time (calls from several JS threads, or a second call while one
// runs, run their tasks on their own thread instead). shutdown() joins the workers: ring.cc calls
// it from its N-API environment cleanup hook when the last environment (the main thread or a
// worker_thread) that loaded the addon goes away, and the static destructor calls it at exit.
#ifndef PEERMPC_POOL_H
#define PEERMPC_POOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ringpool {

class Pool {
 public:
  ~Pool() { shutdown(); }

  // Runs fn(0..count-1), fn(0) on the calling thread, the rest on up to count - 1 workers.
  template <typename Fn>
  void run(unsigned count, const Fn& fn) {
    if (count <= 1) {
      fn(0);
      return;
    }
    std::unique_lock<std::mutex> one(submit_, std::try_to_lock);
    if (!one.owns_lock()) {
      for (unsigned t = 0; t < count; t++) fn(t);
      return;
    }
    grow(count - 1);
    Job job;
    job.run = [](const void* f, unsigned t) { (*static_cast<const Fn*>(f))(t); };
    job.fn = &fn;
    job.count = count;
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &job;
      gen_++;
    }
    wake_.notify_all();
    fn(0);
    for (unsigned t; (t = job.next.fetch_add(1)) < count;) fn(t);
    // Unpublish the job, then wait for the workers still inside it (they hold no other reference).
    std::unique_lock<std::mutex> lk(mu_);
    job_ = nullptr;
    done_.wait(lk, [&] { return job.users == 0; });
  }

  // Joins every worker (they are idle: no call is running, or the caller holds submit_ here).
  void shutdown() {
    std::lock_guard<std::mutex> one(submit_);
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = false;
  }

  // Workers alive (for tests and diagnostics).
  unsigned size() {
    std::lock_guard<std::mutex> one(submit_);
    return (unsigned)workers_.size();
  }

 private:
  struct Job {
    void (*run)(const void*, unsigned) = nullptr;
    const void* fn = nullptr;
    unsigned count = 0;
    std::atomic<unsigned> next{1};
    unsigned users = 0;  // workers inside run(), guarded by mu_
  };

  // Starts workers until there are `want` (called with submit_ held); a failure leaves fewer.
  void grow(unsigned want) {
    while (workers_.size() < want) {
      try {
        workers_.emplace_back([this] { loop(); });
      } catch (const std::exception&) {
        return;  // no more threads: the caller runs what nobody claims
      }
    }
  }

  void loop() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      wake_.wait(lk, [&] { return stop_ || (job_ != nullptr && gen_ != seen); });
      if (stop_) return;
      seen = gen_;
      Job* job = job_;
      job->users++;
      lk.unlock();
      for (unsigned t; (t = job->next.fetch_add(1)) < job->count;) job->run(job->fn, t);
      lk.lock();
      if (--job->users == 0) done_.notify_all();
    }
  }

  std::mutex submit_;  // one call on the workers at a time
  std::mutex mu_;      // guards job_, gen_, stop_ and Job::users
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  Job* job_ = nullptr;
  uint64_t gen_ = 0;
  bool stop_ = false;
};

}  // namespace ringpool

#endif
