#include "suite/cast.h"

namespace cairn::crashtest {

Cast make_cast() {
  using V = mqtt::ProtocolVersion;
  Cast cast;
  const std::vector<StreamSpec> streams = {
      {"q1", "ct/q1", V::kV5, 1, false, 32, 0},
      {"q2", "ct/q2", V::kV311, 2, false, 32, 0},
      // One retained update at a time, with pauses, so that most crashes find
      // none in flight (one in flight may or may not have been stored).
      {"r", "ct/retained", V::kV5, 1, true, 1, 20},
      {"sh", "ct/shared", V::kV5, 2, false, 8, 0},
      {"sl", "ct/slow", V::kV5, 1, false, 1, 1},
      {"ex", "ct/exp", V::kV5, 1, false, 4, 2, 1},
  };
  for (const StreamSpec& s : streams) {
    cast.publishers.push_back(std::make_unique<Publisher>(s, "crashtest-pub-" + s.name));
  }
  cast.main.push_back(std::make_unique<Subscriber>(
      Subscriber::Options{"crashtest-sub-v311", V::kV311, "ct/#", mqtt::QoS::kExactlyOnce}));
  cast.main.push_back(std::make_unique<Subscriber>(
      Subscriber::Options{"crashtest-sub-v5", V::kV5, "ct/#", mqtt::QoS::kExactlyOnce}));
  for (const char* id : {"crashtest-shared-1", "crashtest-shared-2"}) {
    cast.group.push_back(std::make_unique<Subscriber>(
        Subscriber::Options{id, V::kV5, "$share/crash/ct/shared", mqtt::QoS::kExactlyOnce}));
  }
  cast.slow = std::make_unique<Subscriber>(
      Subscriber::Options{"crashtest-slow", V::kV5, "ct/slow", mqtt::QoS::kAtLeastOnce, 4, 2});
  cast.expiry = std::make_unique<Subscriber>(
      Subscriber::Options{"crashtest-expiry", V::kV5, "ct/exp", mqtt::QoS::kAtLeastOnce});
  cast.flipper = std::make_unique<Flipper>("crashtest-flip");
  cast.will = std::make_unique<WillClient>("crashtest-will");
  return cast;
}

std::vector<Subscriber*> Cast::readers() const {
  std::vector<Subscriber*> out;
  for (const auto& s : main) out.push_back(s.get());
  for (const auto& s : group) out.push_back(s.get());
  out.push_back(slow.get());
  return out;
}

}  // namespace cairn::crashtest
