#include "mqtt/packet.h"

namespace cairn::mqtt {

PacketType packet_type(const Packet& packet) noexcept {
  return std::visit([](const auto& p) { return std::decay_t<decltype(p)>::kType; }, packet);
}

}  // namespace cairn::mqtt
