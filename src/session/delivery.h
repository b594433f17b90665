// Delivery: a message routed to a session, as that session receives it.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "model/message.h"
#include "model/qos.h"

namespace cairn::session {

// A message routed to this session, waiting for room in the in-flight window.
struct Delivery {
  model::MessagePtr message;
  model::QoS qos = model::QoS::kAtMostOnce;  // already min(message QoS, granted QoS)
  bool retain = false;                       // the RETAIN flag to send
  std::vector<std::uint32_t> subscription_ids;
  // The delivery record's sequence number in the store (D3); 0 when the
  // session is not persistent and nothing was stored.
  std::uint64_t sequence = 0;
  // When it was queued for the session (for the age of the oldest waiting
  // delivery, a metric). Restored deliveries count from the restart; paged
  // ones from when their session's tail began: an upper bound.
  std::chrono::steady_clock::time_point queued_at{};
};

}  // namespace cairn::session
