// The metrics collector: every family metrics/README.md promises is served,
// with the values of the probes it reads, in Prometheus' text format (what a
// scrape of /metrics returns), in base units.
#include <chrono>
#include <fstream>
#include <future>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "auth/access_control.h"
#include "broker/broker.h"
#include "metrics/collector.h"
#include "net/connection.h"
#include "recovery/recovery.h"
#include "storage/leveldb_store.h"
#include "support/temp_dir.h"

namespace cairn::metrics {
namespace {

// The names in the first column of metrics/README.md's tables.
std::set<std::string> promised_families() {
  std::ifstream in(std::string(CAIRN_SOURCE_DIR) + "/metrics/README.md");
  std::set<std::string> names;
  const std::regex row(R"(^\| `([a-z_]+)` \|)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) names.insert(m[1]);
  }
  return names;
}

class MetricsCollectorTest : public ::testing::Test {
 protected:
  MetricsCollectorTest() {
    storage::LeveldbStore::Options options;
    options.directory = dir_.path();
    opened_ = storage::LeveldbStore::open(options);
    broker_ = std::make_unique<broker::Broker>(*opened_.store, broker::BrokerSettings{});
    auth::AuthSettings open_access;
    access_ =
        std::get<std::unique_ptr<auth::AccessControl>>(auth::AccessControl::open(open_access));
  }
  ~MetricsCollectorTest() override { opened_.store->close(); }

  std::string scrape() {
    Sources sources;
    sources.store = opened_.store.get();
    sources.broker = broker_.get();
    sources.connections = &connections_;
    sources.recovery = &report_;
    sources.access = access_.get();
    sources.data_dir = dir_.path();
    return prometheus::TextSerializer().Serialize(Collector(sources).Collect());
  }
  void commit_one() {
    storage::Batch b;
    b.operations.push_back(storage::PutSession{"s", 60, {}, nullptr, 0, {}});
    std::promise<std::error_code> done;
    opened_.store->submit(std::move(b), [&done](std::error_code ec) { done.set_value(ec); });
    ASSERT_FALSE(done.get_future().get());
  }

  test::TempDir dir_;
  storage::LeveldbStore::Opened opened_;
  std::unique_ptr<broker::Broker> broker_;
  net::ConnectionStats connections_;
  recovery::RecoveryReport report_;
  std::unique_ptr<auth::AccessControl> access_;
};

TEST_F(MetricsCollectorTest, EveryPromisedFamilyIsServed) {
  const std::set<std::string> promised = promised_families();
  ASSERT_GE(promised.size(), 40u) << "metrics/README.md's tables were not found";
  const std::string text = scrape();
  for (const std::string& name : promised) {
    EXPECT_NE(text.find("# TYPE " + name + " "), std::string::npos) << name << " is missing";
  }
}

TEST_F(MetricsCollectorTest, TrafficCountersAreServedByQosAndReason) {
  connections_.messages_in_by_qos[1] = 50;
  connections_.payload_bytes_in_by_qos[1] = 500;
  connections_.messages_out_by_qos[2] = 7;
  connections_.accepted = 3;
  connections_.active = 2;
  connections_.refused_timeout = 4;
  connections_.dropped_expired = 5;
  const std::string text = scrape();
  EXPECT_NE(text.find("cairn_messages_received_total{qos=\"1\"} 50\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_messages_received_total{qos=\"0\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_message_bytes_received_total{qos=\"1\"} 500\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_messages_sent_total{qos=\"2\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_connections_accepted_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_connections 2\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_connections_refused_total{reason=\"timeout\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("cairn_messages_dropped_total{reason=\"expired\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE cairn_messages_received_total counter"), std::string::npos);
}

TEST_F(MetricsCollectorTest, AuthenticationAndAclCountersAreServed) {
  connections_.denied_publish = 3;
  connections_.denied_subscribe = 2;
  connections_.dropped_not_authorized = 6;
  auth::LoginRequest anonymous;
  anonymous.source_address = "192.0.2.1";
  access_->login(anonymous);
  const std::string text = scrape();
  EXPECT_NE(text.find("cairn_acl_denied_total{request=\"publish\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_acl_denied_total{request=\"subscribe\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_messages_dropped_total{reason=\"not_authorized\"} 6\n"),
            std::string::npos);
  EXPECT_NE(text.find("cairn_logins_total{outcome=\"accepted\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_logins_total{outcome=\"refused\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_auth_reload_failures_total 0\n"), std::string::npos);
}

TEST_F(MetricsCollectorTest, CommitHistogramsAreInSecondsWithAnInfBucket) {
  commit_one();
  const std::string text = scrape();
  EXPECT_NE(text.find("cairn_store_commits_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cairn_commit_lag_seconds_count 1\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_store_sync_duration_seconds_bucket{le=\"+Inf\"} 1\n"),
            std::string::npos);
  // 100 us, in seconds: the first latency bucket.
  EXPECT_NE(text.find("cairn_store_sync_duration_seconds_bucket{le=\"0.0001\"}"),
            std::string::npos);
  EXPECT_NE(text.find("cairn_store_commit_operations_sum 1\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_store_failed 0\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE cairn_commit_lag_seconds histogram"), std::string::npos);
}

TEST_F(MetricsCollectorTest, RecoveryAndDiskAreServed) {
  report_.duration = std::chrono::milliseconds(1500);
  report_.load.sessions = 12;
  report_.load.orphans = 3;
  report_.inflight = 4;
  const std::string text = scrape();
  EXPECT_NE(text.find("cairn_recovery_duration_seconds 1.5\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_recovery_recovered{kind=\"sessions\"} 12\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_recovery_recovered{kind=\"inflight\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_recovery_orphans_repaired 3\n"), std::string::npos);
  std::smatch free_bytes;
  ASSERT_TRUE(
      std::regex_search(text, free_bytes, std::regex("\ncairn_data_volume_free_bytes (\\S+)")));
  EXPECT_GT(std::stod(free_bytes[1]), 0);
  std::smatch size;
  ASSERT_TRUE(std::regex_search(text, size, std::regex("\ncairn_store_size_bytes (\\S+)")));
  EXPECT_GT(std::stod(size[1]), 0);
  std::smatch rss;
  ASSERT_TRUE(std::regex_search(text, rss, std::regex("\nprocess_resident_memory_bytes (\\S+)")));
  EXPECT_GT(std::stod(rss[1]), 1 << 20);
}

}  // namespace
}  // namespace cairn::metrics
