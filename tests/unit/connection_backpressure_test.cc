// net::Connection under a congested store (DESIGN.md §4): while the commit
// queue is over its bound, a connection stops reading, so what its client
// sends waits in the socket buffers (TCP flow control slows the client) and
// nothing more is queued for the disk; reading resumes by itself when the
// store catches up. A real connection on a loopback socket, against a broker
// whose store says it is congested when the test says so.
#include <chrono>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "support/loopback_connection.h"
#include "support/session_harness.h"

namespace cairn::net {
namespace {

using model::QoS;
using mqtt::ProtocolVersion;
using ConnectionBackpressure = test::LoopbackConnectionTest;

TEST_F(ConnectionBackpressure, CongestedStoreStopsReadingUntilItCatchesUp) {
  send(test::make_connect(ProtocolVersion::kV311, "c", /*clean_start=*/true),
       ProtocolVersion::kV311);
  ASSERT_EQ(next_packet_type(std::chrono::seconds(5)), 0x20) << "no CONNACK";
  const int before = store_.batches.load();

  store_.congested_flag = true;
  // Read once more after the flag: a read already under way may take these.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  send(test::make_publish("t", QoS::kAtLeastOnce, 1), ProtocolVersion::kV311);
  EXPECT_EQ(next_packet_type(std::chrono::milliseconds(300)), std::nullopt)
      << "a PUBACK came while the store was congested";
  EXPECT_EQ(store_.batches.load(), before) << "the PUBLISH went to the store";
  EXPECT_EQ(stats_.messages_in.load(), 0u);

  store_.congested_flag = false;
  EXPECT_EQ(next_packet_type(std::chrono::seconds(5)), 0x40) << "no PUBACK once it caught up";
  EXPECT_EQ(stats_.messages_in.load(), 1u);
}

}  // namespace
}  // namespace cairn::net
