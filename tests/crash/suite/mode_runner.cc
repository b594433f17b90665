#include "suite/mode_runner.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "suite/processes.h"
#include "suite/workload.h"
#include <sys/mount.h>

namespace cairn::crashtest {
namespace {

constexpr milliseconds kStartTimeout{120'000};
constexpr milliseconds kSettleTimeout{10'000};
constexpr milliseconds kDrainTimeout{10'000};
constexpr milliseconds kGrace{200};
constexpr char kFilter[] = "ct/#";
constexpr char kRetainedTopic[] = "ct/retained";

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Cast {
  std::vector<std::unique_ptr<Publisher>> publishers;
  std::vector<std::unique_ptr<Subscriber>> subscribers;
};

Cast make_cast() {
  using V = mqtt::ProtocolVersion;
  Cast cast;
  const std::vector<StreamSpec> streams = {
      {"q1", "ct/q1", V::kV5, 1, false, 32, 0},
      {"q2", "ct/q2", V::kV311, 2, false, 32, 0},
      // One retained update at a time, with pauses, so that most crashes find
      // none in flight (one in flight may or may not have been stored).
      {"r", kRetainedTopic, V::kV5, 1, true, 1, 20},
  };
  for (const StreamSpec& s : streams) {
    cast.publishers.push_back(std::make_unique<Publisher>(s, "crashtest-pub-" + s.name));
  }
  cast.subscribers.push_back(std::make_unique<Subscriber>("crashtest-sub-v311", V::kV311, kFilter));
  cast.subscribers.push_back(std::make_unique<Subscriber>("crashtest-sub-v5", V::kV5, kFilter));
  return cast;
}

// Every acknowledged message of every stream has reached `s`.
bool has_all(const Subscriber::Counts& c, const std::vector<std::vector<Fate>>& fates,
             const Cast& cast) {
  for (std::size_t i = 0; i < cast.publishers.size(); ++i) {
    const auto it = c.seen.find(cast.publishers[i]->spec().name);
    for (std::size_t seq = 0; seq < fates[i].size(); ++seq) {
      if (fates[i][seq] != Fate::kAcked) continue;
      if (it == c.seen.end() || seq >= it->second.size() || it->second[seq] == 0) return false;
    }
  }
  return true;
}

}  // namespace

ModeResult run_mode(const ModeOptions& o) {
  ModeResult result;
  result.mode = o.mode;
  // A mount left by a run that died would make the directory unremovable.
  ::umount2((o.work / "mnt").c_str(), MNT_DETACH);
  ::umount2((o.work / "volume").c_str(), MNT_DETACH);
  std::error_code ec;
  std::filesystem::remove_all(o.work, ec);
  std::filesystem::create_directories(o.work, ec);
  if (ec) {
    result.failure = "cannot make " + o.work.string() + ": " + ec.message();
    return result;
  }
  std::filesystem::path data = o.work / "data";

  std::unique_ptr<PowerFs> power;
  if (o.mode == "power") {
    power = std::make_unique<PowerFs>(o.powerfs, o.work / "backing", o.work / "mnt");
    if (!power->mount()) {
      result.skipped = "no power-loss filesystem: " + power->why();
      return result;
    }
    data = power->mountpoint() / "data";
  }

  std::unique_ptr<SmallVolume> volume;
  const std::uint64_t guard = o.disk_guard_mb << 20;
  if (o.mode == "disk") {
    // Room for the store above the guard; filling leaves half the guard.
    volume = std::make_unique<SmallVolume>(o.work / "volume", guard + (128u << 20));
    if (!volume->mount()) {
      result.skipped = volume->why();
      return result;
    }
    data = volume->mountpoint() / "data";
  }

  BrokerUnderTest broker({o.cairn, o.config, data, o.work / "cairn.log"});
  const auto fail = [&](int cycle, const std::string& what) {
    result.failure = what + "\n--- the end of the broker's log (" +
                     (o.work / "cairn.log").string() + ") ---\n" + broker.log_tail(20);
    result.failed_cycle = cycle;
    return result;
  };
  if (!broker.spawn() || !broker.wait_listening(kStartTimeout)) {
    return fail(0, "the broker did not start (" + broker.status() + ")");
  }

  Cast cast = make_cast();
  for (auto& s : cast.subscribers) {
    if (!s->connect(broker.port()) || !s->subscribe()) {
      return fail(0, s->id() + " could not connect and subscribe to " + kFilter);
    }
    s->start();
  }
  for (auto& p : cast.publishers) {
    if (!p->connect(broker.port()))
      return fail(0, "crashtest-pub-" + p->spec().name + " could not connect");
  }

  std::mt19937_64 random(o.seed);
  double last_start_ms = 100;  // spawn to listening, the last time
  std::uniform_int_distribution<int> load_ms(o.min_load_ms, o.max_load_ms);
  for (int cycle = 1; cycle <= o.cycles; ++cycle) {
    const int load = load_ms(random);
    // The second kill of the recovery mode lands within the time the last
    // start took (start-up is mostly reading the store back).
    const double recovery_kill_ms =
        std::uniform_real_distribution<double>(0, last_start_ms)(random);
    std::vector<std::string> problems;
    // One subscriber is away for the cycle (its queue grows on disk), the
    // other reads through the load; they swap every cycle.
    Subscriber& away = *cast.subscribers[static_cast<std::size_t>(cycle) % 2];
    away.stop();
    away.disconnect();

    for (auto& p : cast.publishers) p->start();
    // The disk mode: full, then not (the guard is read again within a
    // second, sooner while commits run), then the crash.
    std::vector<std::size_t> before_full;
    const auto sent = [&] {
      std::vector<std::size_t> n;
      for (auto& p : cast.publishers) n.push_back(p->fates().size());
      return n;
    };
    if (volume) {
      std::this_thread::sleep_for(milliseconds(load / 3));
      before_full = sent();
      if (!volume->fill_leaving(guard / 2)) return fail(cycle, "the ballast could not be written");
      std::this_thread::sleep_for(milliseconds(1500));
      volume->release();
      std::this_thread::sleep_for(milliseconds(1500));
    }
    std::this_thread::sleep_for(milliseconds(volume ? load * 2 / 3 : load));
    if (!broker.running()) return fail(cycle, "the broker ended by itself: " + broker.status());

    // --- the crash ---
    broker.kill();
    const auto crashed = Clock::now();
    if (power && (!power->cut() || !power->power_on())) return fail(cycle, power->why());
    for (auto& p : cast.publishers) p->stop();
    for (auto& s : cast.subscribers) s->stop();
    if (o.mode == "recovery") {
      // Killed again while it reads its store back.
      if (!broker.spawn()) return fail(cycle, "the broker could not be started");
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(recovery_kill_ms));
      if (broker.running() && !broker.listening()) ++result.crashes_during_recovery;
      broker.kill();
    }

    // --- the restart ---
    const auto spawned = Clock::now();
    if (!broker.spawn() || !broker.wait_listening(kStartTimeout)) {
      return fail(cycle, "the broker did not start again (" + broker.status() + ")");
    }
    last_start_ms = ms_between(spawned, Clock::now());
    result.listen_ms.push_back(ms_between(crashed, Clock::now()));
    for (auto& s : cast.subscribers) {
      const std::optional<bool> present = s->connect(broker.port());
      if (present != true) {
        ++result.sessions_lost;
        problems.push_back(s->id() + (present ? ": Session Present 0: its session is LOST"
                                              : ": no CONNACK 0 after the restart"));
      }
      s->start();
    }
    for (auto& p : cast.publishers) {
      const std::optional<bool> present = p->connect(broker.port());
      if (present != true) {
        ++result.sessions_lost;
        problems.push_back("crashtest-pub-" + p->spec().name +
                           (present ? ": Session Present 0: its session (and the QoS 2 packet "
                                      "identifiers it had sent) is LOST"
                                    : ": no CONNACK 0 after the restart"));
      }
      if (!p->settle(kSettleTimeout)) {
        problems.push_back("crashtest-pub-" + p->spec().name +
                           ": publishes in flight at the crash were never acknowledged");
      }
    }

    // --- every acknowledged message must arrive ---
    std::vector<std::vector<Fate>> fates;
    for (auto& p : cast.publishers) fates.push_back(p->fates());
    if (volume) {
      // The MQTT 5 QoS 1 stream (the first): refused while full, acknowledged
      // again after. (A 3.1.1 publisher's connection is closed instead, and
      // it sends again after the restart.)
      const std::vector<Fate>& f = fates.front();
      std::optional<std::size_t> last_refused;
      for (std::size_t seq = before_full.front(); seq < f.size(); ++seq) {
        if (f[seq] == Fate::kRefused) last_refused = seq;
      }
      bool resumed = false;
      for (std::size_t seq = last_refused.value_or(f.size()); seq < f.size(); ++seq) {
        resumed = resumed || f[seq] == Fate::kAcked;
      }
      if (!last_refused) {
        problems.push_back("nothing published to ct/q1 was refused while the volume had " +
                           std::to_string(guard / 2 >> 20) + " MiB free, below the guard");
      } else if (!resumed) {
        problems.push_back("publishing to ct/q1 did not resume after the space returned");
      }
    }
    result.refused = 0;
    for (const auto& f : fates) {
      result.refused += static_cast<std::uint64_t>(std::count(f.begin(), f.end(), Fate::kRefused));
    }
    const auto deadline = Clock::now() + kDrainTimeout;
    for (auto& s : cast.subscribers) {
      while (!has_all(s->counts(), fates, cast) && Clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(5));
      }
    }
    std::this_thread::sleep_for(kGrace);  // a late duplicate still shows
    std::optional<Clock::time_point> first;
    std::uint64_t lost = 0, dup2 = 0, dup1 = 0, unpublished = 0, delivered = 0;
    for (auto& s : cast.subscribers) {
      const Subscriber::Counts c = s->counts();
      delivered += c.deliveries;
      if (c.first_after_connect)
        first = std::min(first.value_or(*c.first_after_connect), *c.first_after_connect);
      unpublished += c.unpublished.size();
      for (const std::string& u : c.unpublished) {
        if (problems.size() < 20) problems.push_back(s->id() + ": never published: " + u);
      }
      for (std::size_t i = 0; i < cast.publishers.size(); ++i) {
        const StreamSpec& spec = cast.publishers[i]->spec();
        const auto it = c.seen.find(spec.name);
        const std::vector<std::uint32_t> none;
        const std::vector<std::uint32_t>& seen = it == c.seen.end() ? none : it->second;
        for (std::size_t seq = 0; seq < std::max(seen.size(), fates[i].size()); ++seq) {
          const std::uint32_t count = seq < seen.size() ? seen[seq] : 0;
          if (seq >= fates[i].size() && count > 0) {
            ++unpublished;
            problems.push_back(s->id() + ": never published: " + payload_of(spec.name, seq));
          } else if (seq < fates[i].size() && fates[i][seq] == Fate::kRefused && count > 0) {
            // Refused with a reason code, so never published: the publisher
            // may send it again as a new message.
            if (unpublished++ < 5) {
              problems.push_back(s->id() + ": " + payload_of(spec.name, seq) +
                                 " was refused, yet delivered");
            }
          } else if (seq < fates[i].size() && fates[i][seq] == Fate::kAcked && count == 0) {
            if (lost++ < 5) {
              problems.push_back(s->id() + ": LOST " + payload_of(spec.name, seq) +
                                 " (acknowledged)");
            }
          } else if (count > 1) {
            (spec.qos == 2 ? dup2 : dup1) += count - 1;
            if (spec.qos == 2 && dup2 <= 5) {
              problems.push_back(s->id() + ": QoS 2 message " + payload_of(spec.name, seq) +
                                 " delivered " + std::to_string(count) + " times");
            }
          }
        }
      }
    }
    if (first && *first > crashed) result.first_ms.push_back(ms_between(crashed, *first));

    // --- the retained value ---
    const std::vector<Fate>& retained = fates.back();
    std::optional<std::size_t> last_acked;
    for (std::size_t seq = 0; seq < retained.size(); ++seq) {
      if (retained[seq] == Fate::kAcked) last_acked = seq;
    }
    const std::optional<std::string> value =
        read_retained(broker.port(), kRetainedTopic, milliseconds(2000));
    const auto id = value ? parse_payload(*value) : std::nullopt;
    if (last_acked && (!id || id->stream != "r" || id->seq < *last_acked)) {
      ++result.retained_rolled_back;
      problems.push_back(std::string(kRetainedTopic) + " holds " + value.value_or("nothing") +
                         ", older than r:" + std::to_string(*last_acked) +
                         ", the last acknowledged update");
    }

    // The totals are over the whole run: each cycle's checks cover every
    // message so far, so they are replaced, not added.
    result.cycles = cycle;
    result.acked_qos1 = result.acked_qos2 = 0;
    for (std::size_t i = 0; i < cast.publishers.size(); ++i) {
      const auto acked =
          static_cast<std::uint64_t>(std::count(fates[i].begin(), fates[i].end(), Fate::kAcked));
      (cast.publishers[i]->spec().qos == 2 ? result.acked_qos2 : result.acked_qos1) += acked;
    }
    result.delivered = delivered;
    result.lost = lost;
    result.duplicated_qos1 = dup1;
    result.duplicated_qos2 = dup2;
    result.unpublished = unpublished;
    if (power) result.bytes_discarded = power->bytes_discarded();
    if (o.verbose || !problems.empty()) {
      std::cout << "[" << o.mode << "] cycle " << cycle << "/" << o.cycles << ", crash " << load
                << " ms into the load: acked " << result.acked_qos1 << " QoS 1 + "
                << result.acked_qos2 << " QoS 2, delivered " << delivered << ", listening after "
                << static_cast<int>(result.listen_ms.back()) << " ms" << std::endl;
    }
    if (!problems.empty()) {
      std::string what;
      for (const std::string& p : problems) what += "\n  - " + p;
      return fail(cycle, what);
    }
  }
  broker.stop();
  return result;
}

}  // namespace cairn::crashtest
