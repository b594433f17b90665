// Subscription: what a session asked for with one topic filter ([MQTT-3.8.3.1]).
#pragma once

#include <cstdint>

#include "model/qos.h"

namespace cairn::model {

enum class RetainHandling : std::uint8_t {
  kSendOnSubscribe = 0,     // send retained messages at subscribe time
  kSendOnNewSubscribe = 1,  // only if the subscription did not exist
  kDoNotSend = 2,
};

struct SubscriptionOptions {
  QoS max_qos = QoS::kAtMostOnce;
  bool no_local = false;  // never to the publishing session [MQTT-3.8.3-3]
  bool retain_as_published = false;
  RetainHandling retain_handling = RetainHandling::kSendOnSubscribe;
  bool operator==(const SubscriptionOptions&) const = default;
};

}  // namespace cairn::model
