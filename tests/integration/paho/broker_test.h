// The fixtures every test of the suite uses: a fresh cairn per test, its log
// printed when the test fails, and a check at the end that it is still
// running (a crash fails the test that caused it).
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "integration/paho/broker_process.h"
#include "integration/paho/paho_client.h"
#include "integration/paho/raw_client.h"

namespace cairn::paho_test {

class BrokerTest : public ::testing::Test {
 protected:
  // The TOML configuration this fixture starts cairn with; empty: defaults.
  virtual std::string config() const { return {}; }

  void SetUp() override {
    broker_ = std::make_unique<BrokerProcess>(config());
    ASSERT_TRUE(broker_->start()) << "cairn did not start (" << broker_->status() << "); log:\n"
                                  << broker_->log();
  }

  void TearDown() override {
    const bool running = broker_->running();
    EXPECT_TRUE(running) << "cairn is no longer running: " << broker_->status();
    broker_->stop();
    // A sanitizer report at shutdown (a leak, a use after free while
    // closing) ends cairn with a non-zero status, as a hung shutdown ends it
    // with SIGKILL: either fails the test.
    if (running) {
      EXPECT_EQ(broker_->status(), "exit 0") << "cairn did not shut down cleanly";
    }
    if (HasFailure()) {
      std::cerr << "---- cairn log (port " << broker_->port() << ") ----\n"
                << broker_->log() << "---- end of cairn log ----\n";
    }
  }

  // A Paho client of this fixture's broker, not yet connected.
  std::unique_ptr<PahoClient> client(const std::string& id, int version) {
    return std::make_unique<PahoClient>(broker_->uri(), id, version);
  }
  // A Paho client connected with `options` (by default Clean Start / Clean
  // Session 1); fails the test if the broker refuses it.
  std::unique_ptr<PahoClient> connected(const std::string& id, int version,
                                        const ConnectOptions& options = {}) {
    auto c = client(id, version);
    const ConnectResult r = c->connect(options);
    EXPECT_EQ(r.rc, MQTTCLIENT_SUCCESS) << id << " could not connect";
    return c;
  }

  std::uint16_t port() const { return broker_->port(); }
  BrokerProcess& broker() { return *broker_; }

 private:
  std::unique_ptr<BrokerProcess> broker_;
};

// A fixture run for MQTT 3.1.1 (protocol level 4) and 5.0; GetParam() is
// the level.
template <class Fixture>
class WithVersions : public Fixture, public ::testing::WithParamInterface<int> {
 protected:
  int version() const { return this->GetParam(); }
  std::uint8_t level() const { return static_cast<std::uint8_t>(this->GetParam()); }
};

using BothVersions = WithVersions<BrokerTest>;

inline std::string version_name(const ::testing::TestParamInfo<int>& info) {
  return info.param == 5 ? "v5" : "v311";
}

#define CAIRN_BOTH_VERSIONS(Suite) \
  INSTANTIATE_TEST_SUITE_P(Mqtt, Suite, ::testing::Values(4, 5), ::cairn::paho_test::version_name)

}  // namespace cairn::paho_test
