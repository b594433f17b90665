// Why the broker refused an operation before anything was stored: errors a
// Done completion may carry besides the store's (storage::StoreErrc).
#pragma once

#include <system_error>

#include "mqtt/reason_code.h"

namespace cairn::broker {

enum class BrokerErrc {
  // A session the message goes to has limits.max_queued_messages waiting and
  // limits.queue_full_policy is "refuse": nobody gets it, nothing is stored.
  kQueueFull = 1,
};

// What an MQTT 5 client is told when its message was refused or the store
// did not take it: 0x97 Quota exceeded for what it may retry later (the
// data volume low on space, a full session), else 0x80.
mqtt::ReasonCode refusal_reason(std::error_code ec) noexcept;
// What the log, and the close of a 3.x connection that cannot be told, say
// about it: a static string naming the cause and its setting.
const char* refusal_why(std::error_code ec) noexcept;

const std::error_category& broker_category() noexcept;
inline std::error_code make_error_code(BrokerErrc e) noexcept {
  return {static_cast<int>(e), broker_category()};
}

}  // namespace cairn::broker

template <>
struct std::is_error_code_enum<cairn::broker::BrokerErrc> : std::true_type {};
