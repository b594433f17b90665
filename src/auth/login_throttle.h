// LoginThrottle: failed logins, counted per source address, so that a client
// guessing passwords gets a bounded number of guesses a minute (issue 8).
//
// A source's window opens at its first failure and lasts a minute; once it
// holds `failures_per_minute` failures, every login from that source is
// refused unchecked until the window ends. A success does not reset the
// count: one valid account must not buy unlimited guesses at the others.
// Refused attempts do not extend the window, so a legitimate client behind
// the same address gets in again a minute after the guessing started.
//
// Memory: one small entry per address that failed within the last minute;
// old windows are dropped as new addresses arrive, and the table never holds
// more than kMaxSources (past that, the oldest window is evicted: a flood of
// forged sources cannot grow it without bound).
//
// Thread-safe: logins are checked on every network thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cairn::auth {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWindow{60};
  static constexpr std::size_t kMaxSources = 65'536;

  // 0: no limit.
  explicit LoginThrottle(std::uint32_t failures_per_minute)
      : failures_per_minute_(failures_per_minute) {}

  // True when `source` has used up its failures for this window: refuse
  // without checking the password.
  bool blocked(std::string_view source, Clock::time_point now);
  // A login from `source` failed.
  void failed(std::string_view source, Clock::time_point now);

  std::size_t tracked() const;

 private:
  struct Window {
    Clock::time_point opened;
    std::uint32_t failures = 0;
  };
  void prune(Clock::time_point now);  // REQUIRES: mutex_ held

  const std::uint32_t failures_per_minute_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace cairn::auth
