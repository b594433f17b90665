#include "load/run_state.h"

#include <algorithm>
#include <string_view>

namespace cairn::load {
namespace {
constexpr std::size_t kErrorsKept = 5;
}  // namespace

void RunState::set_launch_order(std::vector<std::function<void()>> starts,
                                std::size_t concurrency) {
  starts_ = std::move(starts);
  next_start_ = 0;
  const std::size_t first = std::min(concurrency, starts_.size());
  for (std::size_t i = 0; i < first; ++i) launch_next();
}

void RunState::launch_next() {
  const std::size_t i = next_start_.fetch_add(1);
  if (i < starts_.size()) starts_[i]();
}

void RunState::fail(std::string message) {
  // Errors are "client <id>: <what>" or "<what>": the same <what> from many
  // clients is reported once, with a count.
  std::lock_guard lock(mutex_);
  failed_.store(true, std::memory_order_release);
  std::string what = message;
  if (what.starts_with("client ")) {
    if (const std::size_t colon = what.find(": "); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
  }
  for (Error& error : errors_) {
    if (error.message == message || error.message.ends_with(": " + what)) {
      ++error.count;
      return;
    }
  }
  if (errors_.size() < kErrorsKept) errors_.push_back({std::move(message), 1});
}

std::vector<std::string> RunState::errors() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const Error& error : errors_) {
    out.push_back(error.count == 1 ? error.message
                                   : error.message + " (and " + std::to_string(error.count - 1) +
                                         " more connections)");
  }
  return out;
}

void RunState::note_keep_alive(std::uint32_t seconds) {
  std::uint32_t current = server_keep_alive.load();
  while ((current == 0 || seconds < current) &&
         !server_keep_alive.compare_exchange_weak(current, seconds)) {
  }
}

void RunState::note_tls(const char* version, const char* cipher) {
  std::lock_guard lock(mutex_);
  for (const Negotiated& seen : tls_) {
    if (std::string_view(seen.version) == version && std::string_view(seen.cipher) == cipher) {
      return;
    }
  }
  tls_.push_back({version, cipher});
}

std::string RunState::tls_negotiated() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const Negotiated& seen : tls_) {
    if (!out.empty()) out += ", ";
    out += std::string(seen.version) + " " + seen.cipher;
  }
  return out;
}

}  // namespace cairn::load
