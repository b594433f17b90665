// The keep-alive deadline of net::Connection at its boundary: a client silent
// for one and a half Keep Alive periods is disconnected, and not a moment
// before [MQTT-3.1.2-22] (3.1.1: [MQTT-3.1.2-24]). The deadline is checked
// as the DeadlineSweeper checks it, at instants the test chooses.
#include <chrono>

#include <gtest/gtest.h>

#include "support/loopback_connection.h"
#include "support/session_harness.h"

namespace cairn::net {
namespace {

using mqtt::ProtocolVersion;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using ConnectionKeepAlive = test::LoopbackConnectionTest;

TEST_F(ConnectionKeepAlive, SilenceOfOneAndAHalfPeriodsClosesAndNotLess) {
  auto connect = test::make_connect(ProtocolVersion::kV5, "c", /*clean_start=*/true);
  connect.keep_alive = 10;
  // The connection's last read falls between these two instants.
  const auto sent = steady_clock::now();
  send(connect, ProtocolVersion::kV5);
  ASSERT_EQ(next_packet_type(seconds(5)), 0x20) << "no CONNACK";
  const auto acknowledged = steady_clock::now();

  EXPECT_TRUE(check_deadlines_at(sent + milliseconds(14'999)));  // under 15 s of silence
  EXPECT_EQ(next_packet_type(milliseconds(50)), std::nullopt);
  check_deadlines_at(acknowledged + seconds(15));  // 15 s of silence: closing
  EXPECT_EQ(next_packet_type(seconds(5)), 0xE0) << "no DISCONNECT (0x8D) before the close";
  EXPECT_FALSE(check_deadlines_at(acknowledged + seconds(16)));  // closed by now
}

TEST_F(ConnectionKeepAlive, KeepAliveZeroNeverCloses) {
  auto connect = test::make_connect(ProtocolVersion::kV311, "c", /*clean_start=*/true);
  connect.keep_alive = 0;  // [MQTT-3.1.2-23]: the mechanism is off
  send(connect, ProtocolVersion::kV311);
  ASSERT_EQ(next_packet_type(seconds(5)), 0x20) << "no CONNACK";
  EXPECT_TRUE(check_deadlines_at(steady_clock::now() + std::chrono::hours(24 * 365)));
}

}  // namespace
}  // namespace cairn::net
