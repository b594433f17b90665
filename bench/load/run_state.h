// RunState: what every client shares with the controller: the phase of the
// run, the connection and subscription counts it waits on, the connection
// launcher, and the first errors.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace cairn::load {

enum class Phase : int {
  kSetup,    // connecting and subscribing
  kWarmup,   // publishing, not measured
  kMeasure,  // publishing, latencies recorded
  kDrain,    // publishers stopped; waiting for what is in flight
  kClosing,  // clients sending DISCONNECT and closing
};

inline std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

class RunState {
 public:
  std::atomic<Phase> phase{Phase::kSetup};
  std::atomic<std::size_t> connected{0};
  std::atomic<std::size_t> subscribed{0};
  std::atomic<std::size_t> closed{0};
  // The smallest Server Keep Alive a CONNACK asked for (0: none did).
  std::atomic<std::uint32_t> server_keep_alive{0};

  // Connections are opened a bounded number at a time: each CONNACK (or
  // failure) starts the next, so a listen backlog never overflows.
  void set_launch_order(std::vector<std::function<void()>> starts, std::size_t concurrency);
  void launch_next();

  // Records an error; the run stops at the next check. Thread-safe.
  void fail(std::string message);
  bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
  // The distinct errors, each with how many connections had it.
  std::vector<std::string> errors() const;
  // Keeps the smallest Server Keep Alive seen.
  void note_keep_alive(std::uint32_t seconds);
  // After a TLS handshake: the protocol version and cipher suite negotiated
  // (OpenSSL's static names). Thread-safe.
  void note_tls(const char* version, const char* cipher);
  // "TLSv1.3 TLS_AES_256_GCM_SHA384"; several, comma-separated, if the
  // connections differed; empty without TLS.
  std::string tls_negotiated() const;

 private:
  std::vector<std::function<void()>> starts_;
  std::atomic<std::size_t> next_start_{0};
  std::atomic<bool> failed_{false};
  mutable std::mutex mutex_;
  struct Error {
    std::string message;
    std::size_t count = 0;
  };
  std::vector<Error> errors_;  // guarded by mutex_
  struct Negotiated {
    const char* version;
    const char* cipher;
  };
  std::vector<Negotiated> tls_;  // guarded by mutex_; distinct ones
};

}  // namespace cairn::load
