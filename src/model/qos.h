// Quality of service levels ([MQTT-4.3]).
#pragma once

#include <cstdint>

namespace cairn::model {

enum class QoS : std::uint8_t {
  kAtMostOnce = 0,
  kAtLeastOnce = 1,
  kExactlyOnce = 2,
};

}  // namespace cairn::model
