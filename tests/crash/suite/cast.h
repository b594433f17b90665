// The cast of cairn-crashtest's workload: who publishes what, who subscribes
// to what (tests/crash/README.md, "What it does").
#pragma once

#include <memory>
#include <vector>

#include "suite/side_clients.h"
#include "suite/workload.h"

namespace cairn::crashtest {

// The streams, by index into Cast::publishers.
enum StreamIndex : std::size_t {
  kQ1 = 0,    // QoS 1, MQTT 5, ct/q1
  kQ2,        // QoS 2, MQTT 3.1.1, ct/q2
  kRetained,  // QoS 1 retained updates, MQTT 5, ct/retained, one at a time
  kShared,    // QoS 2, MQTT 5, ct/shared: read by a shared subscription
  kSlow,      // QoS 1, MQTT 5, ct/slow: read by a slow subscriber
  kExpiring,  // QoS 1, MQTT 5, ct/exp, Message Expiry Interval 1 s
  kStreamCount,
};

struct Cast {
  std::vector<std::unique_ptr<Publisher>> publishers;  // by StreamIndex
  // ct/#, MQTT 3.1.1 and MQTT 5; one of them is away each cycle.
  std::vector<std::unique_ptr<Subscriber>> main;
  // Two sessions sharing $share/crash/ct/shared: each message goes to one.
  std::vector<std::unique_ptr<Subscriber>> group;
  // ct/slow with Receive Maximum 4, acknowledging one message per 2 ms, fed
  // faster than that: its queue grows during the load.
  std::unique_ptr<Subscriber> slow;
  // ct/exp, away but every few cycles, each time after every message
  // published to it has expired: it must receive none of them.
  std::unique_ptr<Subscriber> expiry;
  std::unique_ptr<Flipper> flipper;
  std::unique_ptr<WillClient> will;

  // Every subscriber that reads during the load.
  std::vector<Subscriber*> readers() const;
};

Cast make_cast();

}  // namespace cairn::crashtest
