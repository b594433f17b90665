#include "metrics/collector.h"

#include <string>

#include "auth/access_control.h"
#include "base/version.h"
#include "broker/broker.h"
#include "metrics/families.h"
#include "metrics/process_stats.h"
#include "net/connection.h"
#include "recovery/recovery.h"
#include "storage/leveldb_store.h"
#include <sys/statvfs.h>

namespace cairn::metrics {
namespace {

constexpr double kNanoseconds = 1e-9;

double load(const std::atomic<std::uint64_t>& a) {
  return static_cast<double>(a.load(std::memory_order_relaxed));
}

std::vector<std::pair<Labels, double>> by_qos(
    const std::array<std::atomic<std::uint64_t>, 3>& values) {
  return {{{{"qos", "0"}}, load(values[0])},
          {{{"qos", "1"}}, load(values[1])},
          {{{"qos", "2"}}, load(values[2])}};
}

void commit_families(const storage::LeveldbStore& store, Families& f) {
  const storage::GroupCommitter& committer = store.committer();
  const storage::GroupCommitter::Stats& s = committer.stats();
  f.histogram("cairn_commit_lag_seconds",
              "Time from a batch's submission to the committer until its group is durable.",
              s.commit_lag_ns.snapshot(), kNanoseconds);
  f.histogram("cairn_store_sync_duration_seconds", "One group's synced LevelDB write.",
              s.sync_ns.snapshot(), kNanoseconds);
  f.histogram("cairn_store_commit_operations", "Operations in one synced write.",
              s.operations_per_commit.snapshot());
  f.histogram("cairn_store_commit_bytes", "Bytes of one synced write (the LevelDB WriteBatch).",
              store.commit_bytes().snapshot());
  f.counter("cairn_store_commits_total", "Synced writes.", load(s.commits));
  f.counter("cairn_store_deferred_batches_total",
            "Acknowledgement batches held back to ride with the next synced write.",
            load(s.deferred_batches));
  f.gauge("cairn_store_commit_queue_depth", "Batches waiting for the committer.",
          static_cast<double>(committer.queued()));
  f.gauge("cairn_store_failed",
          "1 once a write failed: the store refuses everything until a restart.",
          store.failed() ? 1 : 0);
}

void disk_families(const storage::LeveldbStore& store, const std::string& data_dir, Families& f) {
  const storage::LeveldbStore::DiskUsage usage = store.disk_usage();
  f.gauge("cairn_store_size_bytes", "Every file of the store (the data directory).",
          static_cast<double>(usage.total_bytes));
  std::vector<std::pair<Labels, double>> levels;
  for (std::size_t level = 0; level < usage.level_bytes.size(); ++level) {
    levels.push_back(
        {{{"level", std::to_string(level)}}, static_cast<double>(usage.level_bytes[level])});
  }
  f.gauges("cairn_store_level_size_bytes", "LevelDB table files per level.", levels);
  struct statvfs v {};
  if (::statvfs(data_dir.c_str(), &v) == 0) {
    f.gauge("cairn_data_volume_free_bytes",
            "Bytes free for cairn on the data directory's file system.",
            static_cast<double>(v.f_bavail) * static_cast<double>(v.f_frsize));
    f.gauge("cairn_data_volume_size_bytes", "Size of the data directory's file system.",
            static_cast<double>(v.f_blocks) * static_cast<double>(v.f_frsize));
  }
  f.gauge("cairn_store_free_space_low",
          "1 while free space is under storage.min_free_space_mb: QoS 1/2 publishes are refused.",
          store.space_low() ? 1 : 0);
  f.counter("cairn_store_compactions_total",
            "LevelDB background compactions run (memtable flushes included).",
            static_cast<double>(store.compactions()));
}

void delivery_families(const broker::Broker& broker, std::size_t top, Families& f) {
  const broker::Broker::Census c = broker.census(top);
  f.gauge("cairn_queued_messages",
          "Deliveries waiting for sessions, in memory and on disk, not yet sent.",
          static_cast<double>(c.queued));
  std::vector<std::pair<Labels, double>> sessions;
  for (const auto& [client_id, queued] : c.top) {
    sessions.push_back({{{"client_id", client_id}}, static_cast<double>(queued)});
  }
  f.gauges("cairn_session_queued_messages",
           "Deliveries waiting, for the sessions with the largest backlogs.", sessions);
  f.gauge("cairn_inflight_messages", "QoS 1/2 deliveries sent and not yet fully acknowledged.",
          static_cast<double>(c.inflight));
  const double age =
      c.oldest ? std::chrono::duration<double>(std::chrono::steady_clock::now() - *c.oldest).count()
               : 0.0;
  f.gauge("cairn_oldest_queued_message_age_seconds",
          "Age of the oldest delivery still waiting (queued or in flight); 0 when none.", age);
  f.gauges("cairn_sessions", "Sessions.",
           {{{{"state", "online"}}, static_cast<double>(c.online)},
            {{{"state", "offline"}}, static_cast<double>(c.offline)}});
  f.gauge("cairn_subscriptions", "Subscriptions, shared ones included.",
          static_cast<double>(broker.router().subscription_count()));
  f.gauge("cairn_retained_messages", "Retained messages.",
          static_cast<double>(broker.router().retained_count()));
  const broker::BrokerCounters& b = broker.counters();
  f.counters("cairn_publishes_refused_total",
             "QoS 1/2 publishes refused with a reason code (nothing acknowledged is lost).",
             {{{{"reason", "queue_full"}}, load(b.publishes_refused_queue_full)},
              {{{"reason", "no_space"}}, load(b.publishes_refused_no_space)}});
  f.counter("cairn_writes_refused_no_space_total",
            "Other writes refused while the data volume was low on space: QoS 0 retained updates "
            "(delivered, not kept), subscriptions of persistent sessions, new persistent sessions.",
            load(b.writes_refused_no_space));
}

void traffic_families(const net::ConnectionStats& s, const broker::BrokerCounters& b, Families& f) {
  f.gauge("cairn_connections", "Network connections open now.", load(s.active));
  f.counter("cairn_connections_accepted_total", "Connections accepted.", load(s.accepted));
  f.counters("cairn_connections_refused_total", "Connections closed before a session began.",
             {{{{"reason", "limit"}}, load(s.refused_limit)},
              {{{"reason", "protocol"}}, load(s.refused_protocol)},
              {{{"reason", "timeout"}}, load(s.refused_timeout)},
              {{{"reason", "connack"}}, load(s.refused_connack)}});
  f.counters("cairn_handshake_failures_total",
             "TLS and WebSocket handshakes that failed or timed out; the connection was closed.",
             {{{{"reason", "tls"}}, load(s.handshake_failed_tls)},
              {{{"reason", "websocket"}}, load(s.handshake_failed_websocket)},
              {{{"reason", "timeout"}}, load(s.handshake_timeout)}});
  f.counters("cairn_messages_received_total", "PUBLISH packets received.",
             by_qos(s.messages_in_by_qos));
  f.counters("cairn_messages_sent_total", "PUBLISH packets sent.", by_qos(s.messages_out_by_qos));
  f.counters("cairn_message_bytes_received_total", "Payload bytes of the PUBLISH packets received.",
             by_qos(s.payload_bytes_in_by_qos));
  f.counters("cairn_message_bytes_sent_total", "Payload bytes of the PUBLISH packets sent.",
             by_qos(s.payload_bytes_out_by_qos));
  f.counter("cairn_network_received_bytes_total", "Bytes read from clients.", load(s.bytes_in));
  f.counter("cairn_network_sent_bytes_total", "Bytes written to clients.", load(s.bytes_out));
  f.counters("cairn_messages_dropped_total", "Deliveries dropped unsent, by why.",
             {{{{"reason", "queue_full"}}, load(b.deliveries_dropped_queue_full)},
              {{{"reason", "expired"}}, load(s.dropped_expired)},
              {{{"reason", "too_large"}}, load(s.dropped_too_large)},
              {{{"reason", "not_authorized"}}, load(s.dropped_not_authorized)}});
  f.counters("cairn_acl_denied_total", "Requests the ACL file refused.",
             {{{{"request", "publish"}}, load(s.denied_publish)},
              {{{"request", "subscribe"}}, load(s.denied_subscribe)}});
}

void auth_families(const auth::AccessControl& a, Families& f) {
  f.counters("cairn_logins_total", "CONNECTs judged by authentication, by outcome.",
             {{{{"outcome", "accepted"}}, static_cast<double>(a.logins_accepted())},
              {{{"outcome", "refused"}}, static_cast<double>(a.logins_refused())},
              {{{"outcome", "throttled"}}, static_cast<double>(a.logins_throttled())}});
  f.counter("cairn_auth_reload_failures_total",
            "Password or ACL files refused on reload (the rules before stayed in force).",
            static_cast<double>(a.reload_failures()));
}

void recovery_families(const recovery::RecoveryReport& r, Families& f) {
  f.gauge("cairn_recovery_duration_seconds", "Reading the store back at the last start-up.",
          std::chrono::duration<double>(r.duration).count());
  f.gauges("cairn_recovery_recovered", "What the last start-up found in the store.",
           {{{{"kind", "sessions"}}, static_cast<double>(r.load.sessions)},
            {{{"kind", "subscriptions"}}, static_cast<double>(r.load.subscriptions)},
            {{{"kind", "retained"}}, static_cast<double>(r.load.retained)},
            {{{"kind", "queued"}}, static_cast<double>(r.load.queued)},
            {{{"kind", "inflight"}}, static_cast<double>(r.inflight)}});
  f.gauge("cairn_recovery_orphans_repaired",
          "Orphan records the last start-up removed from the store.",
          static_cast<double>(r.load.orphans));
}

void process_families(Families& f) {
  f.gauges("cairn_build_info", "1, labelled with cairn's version.", {{{{"version", kVersion}}, 1}});
  const auto p = read_process_stats();
  if (!p) return;
  f.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", p->resident_bytes);
  f.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", p->virtual_bytes);
  f.counter("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
            p->cpu_seconds);
  f.gauge("process_open_fds", "Number of open file descriptors.", p->open_fds);
  f.gauge("process_max_fds", "Maximum number of open file descriptors.", p->max_fds);
  f.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch.",
          p->start_time_seconds);
}

}  // namespace

std::vector<prometheus::MetricFamily> Collector::Collect() const {
  Families f;
  if (sources_.store != nullptr) {
    commit_families(*sources_.store, f);
    disk_families(*sources_.store, sources_.data_dir, f);
  }
  if (sources_.broker != nullptr) delivery_families(*sources_.broker, sources_.top_sessions, f);
  if (sources_.connections != nullptr && sources_.broker != nullptr) {
    traffic_families(*sources_.connections, sources_.broker->counters(), f);
  }
  if (sources_.recovery != nullptr) recovery_families(*sources_.recovery, f);
  if (sources_.access != nullptr) auth_families(*sources_.access, f);
  process_families(f);
  return f.take();
}

}  // namespace cairn::metrics
