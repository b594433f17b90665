// Why the broker refused an operation before anything was stored: errors a
// Done completion may carry besides the store's (storage::StoreErrc).
#pragma once

#include <system_error>

namespace cairn::broker {

enum class BrokerErrc {
  // A session the message goes to has limits.max_queued_messages waiting and
  // limits.queue_full_policy is "refuse": nobody gets it, nothing is stored.
  kQueueFull = 1,
};

const std::error_category& broker_category() noexcept;
inline std::error_code make_error_code(BrokerErrc e) noexcept {
  return {static_cast<int>(e), broker_category()};
}

}  // namespace cairn::broker

template <>
struct std::is_error_code_enum<cairn::broker::BrokerErrc> : std::true_type {};
