// The clients of the SIGKILL durability test (kill_test.cc) and their
// bookkeeping: what each publisher sent and what became of it (Ledger), and
// what each persistent subscriber received (Subscriber::Snapshot), by stream
// and sequence number, so that the test can tell lost, duplicated and never
// published messages apart.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "integration/paho/paho_client.h"
#include "integration/paho/raw_client.h"

namespace cairn::paho_test {

using Clock = std::chrono::steady_clock;

inline constexpr std::uint32_t kSessionExpiry = 3600;
inline constexpr std::size_t kFirstFew = 5;         // ids quoted in a failure message
inline constexpr std::size_t kMaxSeq = 10'000'000;  // a larger one is garbage, not a sequence

struct Stream {
  const char* name;  // the payload's prefix
  const char* topic;
  const char* client_id;  // of its publisher
  int version;            // of its publisher: 4 (3.1.1) or 5
  int qos;
  bool retain;
  int window;    // publishes in flight at once
  int pause_ms;  // after each publish
};

// The retained updates go one at a time with pauses, so that most kills find
// none in flight: one in flight is sent again after the restart and would hide
// a retained message the store lost.
inline constexpr std::array<Stream, 3> kStreams = {{
    {"q1", "kill/q1", "kill-pub-q1", 5, 1, false, 64, 0},
    {"q2", "kill/q2", "kill-pub-q2", 4, 2, false, 64, 0},
    {"r", "kill/retained", "kill-pub-r", 5, 1, true, 1, 25},
}};
inline constexpr std::size_t kRetained = 2;

inline const Stream& stream_info(int stream) { return kStreams[static_cast<std::size_t>(stream)]; }

// "q1-<cycle>-<seq>": unique over the whole run, seq counting on across cycles.
std::string payload_of(int stream, int cycle, std::size_t seq);

struct PayloadId {
  int stream = -1;
  int cycle = 0;
  std::size_t seq = 0;
};

// "q1-3-1042" -> {0, 3, 1042}; nothing for anything else.
std::optional<PayloadId> parse_payload(std::string_view payload);

// A count and the first few of what it counts, for a failure message.
struct Sample {
  std::size_t count = 0;
  std::vector<std::string> first;
  void add(std::string item) {
    if (count++ < kFirstFew) first.push_back(std::move(item));
  }
  std::string list() const {
    std::string out;
    for (const std::string& item : first) out += (out.empty() ? "" : ", ") + item;
    return count > first.size() ? out + ", ..." : out;
  }
};

// --- publishers -------------------------------------------------------------------

enum class Fate : std::uint8_t { kInFlight, kAcked, kRefused, kNotSent };

// What became of each publish of a stream, by sequence number.
struct Ledger {
  int stream = 0;
  std::vector<Fate> fates;
  std::vector<std::size_t> cycle_starts;  // the first sequence number of each cycle

  int cycle_of(std::size_t seq) const {
    const auto after = std::upper_bound(cycle_starts.begin(), cycle_starts.end(), seq);
    return static_cast<int>(after - cycle_starts.begin()) - 1;
  }
  std::string payload(std::size_t seq) const { return payload_of(stream, cycle_of(seq), seq); }
  std::size_t count(Fate fate) const {
    return static_cast<std::size_t>(std::count(fates.begin(), fates.end(), fate));
  }
};

// A stream's publisher: Paho's MQTTClient with up to `window` publishes in
// flight, each settled by Paho's completion callback. Paho keeps its session
// state in memory while the handle lives and sends what is in flight again
// when it reconnects, as MQTT asks of a client.
class Publisher {
 public:
  Publisher(const std::string& uri, int stream);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  std::string id() const { return info_.client_id; }

  // CONNECT with Clean Session / Clean Start 0 (MQTT 5: Session Expiry 3600).
  ConnectResult connect();

  // Publishes from a thread of its own until stop() or the connection is lost.
  void start(int cycle);
  void stop();
  bool wait_connection_lost(milliseconds timeout);
  // Until nothing is in flight; false on timeout.
  bool wait_idle(milliseconds timeout);
  Ledger ledger() const;

 private:
  void run(int cycle);

  // Paho's callbacks, on Paho's threads.
  void connection_lost();
  void completed(int token, bool acked);
  void settle(std::size_t seq, bool acked);  // mutex_ held

  const int stream_;
  const Stream& info_;
  MQTTClient handle_ = nullptr;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
  bool lost_ = false;
  int in_flight_ = 0;
  std::vector<Fate> fates_;
  std::vector<std::size_t> cycle_starts_;
  std::map<int, std::size_t> pending_;  // Paho's delivery token -> sequence number
  std::map<int, bool> early_;           // completions that beat their token's recording
};

// --- subscribers ------------------------------------------------------------------

// A persistent subscriber on a RawClient, acknowledging as a client library
// would. Its side of QoS 2 is session state kept here across connections and
// restarts: a message is handed over at its first PUBLISH and its Packet
// Identifier remembered until PUBREL, so a PUBLISH re-sent with it is
// acknowledged again but not handed over twice (MQTT 5 §4.3.3, method B). A
// QoS 2 message counted twice here was sent twice as a new message.
class Subscriber {
 public:
  struct Seen {
    std::uint32_t count = 0;
    int cycle = -1;  // as its payload says
  };
  struct Snapshot {
    std::array<std::vector<Seen>, kStreams.size()> seen;  // by stream and sequence number
    Sample unpublished;                                   // payloads of no stream
    Sample problems;
    std::size_t deliveries = 0;
  };

  Subscriber(std::string id, std::uint8_t version) : id_(std::move(id)), version_(version) {}
  ~Subscriber() { stop_pump(); }
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  const std::string& id() const { return id_; }

  // CONNECT with Clean Session / Clean Start 0: Session Present, or nothing
  // without a CONNACK 0. Only while the pump is stopped.
  std::optional<bool> connect(std::uint16_t port);
  bool subscribe() { return client_->subscribe(1, "kill/#", 2, kWait); }
  // DISCONNECT, keeping the session; only while the pump is stopped. What the
  // broker sent meanwhile goes unacknowledged, to be sent again.
  void disconnect();

  // Reads and acknowledges on a thread of its own until stop_pump() or the
  // connection closes.
  void start_pump();
  void stop_pump();

  // Until every one of `ids` (stream, sequence number) has arrived, or
  // `deadline`.
  void wait_for(std::vector<std::pair<int, std::size_t>> ids, Clock::time_point deadline);
  Snapshot snapshot() const;

 private:
  void handle(const RawPacket& packet);
  void deliver(const RawPublish& p, std::string problem);

  const std::string id_;
  const std::uint8_t version_;
  std::unique_ptr<RawClient> client_;
  std::thread pump_;
  std::atomic<bool> stop_ = false;
  // The pump's alone (or anyone's while it is stopped): id -> payload.
  std::map<std::uint16_t, std::string> awaiting_pubrel_;
  mutable std::mutex mutex_;
  Snapshot got_;
};

}  // namespace cairn::paho_test
