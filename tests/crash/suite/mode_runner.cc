#include "suite/mode_runner.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "suite/cast.h"
#include "suite/checks.h"
#include "suite/processes.h"
#include <sys/mount.h>

namespace cairn::crashtest {
namespace {

constexpr milliseconds kStartTimeout{120'000};
constexpr milliseconds kSettleTimeout{10'000};
constexpr milliseconds kDrainTimeout{10'000};
constexpr milliseconds kGrace{200};
// The enospc mode: from the volume full to cairn's exit (its store latches at
// the first failed write; closing the clients takes a moment under load).
constexpr milliseconds kFullDiskExitTimeout{15'000};
constexpr int kExpiryEvery = 4;  // cycles between the expiry subscriber's visits

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Waits until `done()` or the deadline; false on timeout.
template <typename Done>
bool wait_until(Done done, Clock::time_point deadline) {
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

// What the run keeps across cycles besides the clients.
struct RunState {
  std::uint64_t will_connection = 0;       // the will client's connections so far
  std::map<std::uint64_t, bool> will_due;  // connection -> its will must (not) come
};

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
  const bool enospc = o.mode == "enospc";
  std::string config = o.config;
  if (enospc) {
    // No guard: the writes themselves must find the volume full.
    if (!config.empty()) {
      result.failure =
          "the enospc mode runs cairn with a configuration of its own "
          "(storage.min_free_space_mb = 0): run it without --config";
      return result;
    }
    config = (o.work / "enospc.toml").string();
    std::ofstream(config) << "[storage]\nmin_free_space_mb = 0\n";
  }
  if (o.mode == "disk" || enospc) {
    // Room for the store above the guard; filling leaves half the guard.
    volume = std::make_unique<SmallVolume>(o.work / "volume", (enospc ? 0 : guard) + (128u << 20));
    if (!volume->mount()) {
      result.skipped = volume->why();
      return result;
    }
    data = volume->mountpoint() / "data";
  }

  BrokerUnderTest broker({o.cairn, config, data, o.work / "cairn.log"});
  const auto fail = [&](int cycle, const std::string& what) {
    result.failure = what + "\n--- the end of the broker's log (" +
                     (o.work / "cairn.log").string() + ") ---\n" + broker.log_tail(20);
    result.failed_cycle = cycle;
    return result;
  };
  if (!broker.spawn() || !broker.wait_listening(kStartTimeout)) {
    return fail(0, "the broker did not start (" + broker.status() + ")");
  }
  const std::uint16_t port = broker.port();

  // --- the cast, subscribed once for the whole run ---
  Cast cast = make_cast();
  std::vector<Subscriber*> subscribing = cast.readers();
  subscribing.push_back(cast.expiry.get());
  for (Subscriber* s : subscribing) {
    if (!s->connect(port) || !s->subscribe()) {
      return fail(0, s->id() + " could not connect and subscribe");
    }
    s->start();
  }
  cast.expiry->stop();
  cast.expiry->disconnect();  // away: its queue is for messages that expire
  if (!cast.flipper->connect(port)) return fail(0, cast.flipper->id() + " could not connect");
  for (auto& p : cast.publishers) {
    if (!p->connect(port)) return fail(0, "crashtest-pub-" + p->spec().name + " could not connect");
  }

  RunState run;
  DrainWatch watch;
  std::mt19937_64 random(o.seed);
  std::uniform_int_distribution<int> load_ms(o.min_load_ms, o.max_load_ms);
  double last_start_ms = 100;      // spawn to listening, the last time
  std::uint64_t acked_before = 0;  // QoS 1 and 2 acknowledged in the cycles before
  for (int cycle = 1; cycle <= o.cycles; ++cycle) {
    const int load = load_ms(random);
    // The second kill of the recovery mode lands within the time the last
    // start took (start-up is mostly reading the store back).
    const double recovery_kill_ms =
        std::uniform_real_distribution<double>(0, last_start_ms)(random);
    Tally tally;
    // One main subscriber is away for the cycle (its queue grows on disk),
    // the other reads through the load; they swap every cycle.
    Subscriber& away = *cast.main[static_cast<std::size_t>(cycle) % 2];
    away.stop();
    away.disconnect();
    if (!cast.will->connected()) {
      const std::optional<bool> present = cast.will->connect(port, ++run.will_connection);
      if (!present || (*present != (run.will_connection > 1))) {
        tally.problem(cast.will->id() + ": no CONNACK 0, or a wrong Session Present");
      }
    }
    const std::uint64_t will_at_crash = run.will_connection;

    for (auto& p : cast.publishers) p->start();
    cast.flipper->start();
    // The disk mode: full, then not (the guard is read again within a
    // second, sooner while commits run), then the crash.
    std::size_t q1_before_full = 0;
    if (enospc) {
      // The enospc mode: the volume full to the last block. The next write
      // fails, the store latches, and cairn must exit 75 by itself (D8, issue
      // 17 item 5), not stay half up; the space returns, and it is started
      // again, as systemd would.
      std::this_thread::sleep_for(milliseconds(load / 3));
      if (!volume->fill_completely()) return fail(cycle, "the volume could not be filled");
      const auto deadline = Clock::now() + kFullDiskExitTimeout;
      while (broker.running() && Clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(10));
      }
      volume->release();
      if (broker.running()) {
        return fail(cycle, "the broker stayed up with its volume full for " +
                               std::to_string(kFullDiskExitTimeout.count()) + " ms");
      }
      if (broker.status() != "exit 75") {
        return fail(cycle, "the broker ended with " + broker.status() +
                               " on a full volume, not exit 75 (EX_TEMPFAIL)");
      }
      ++result.full_disk_exits;
    } else if (volume) {
      std::this_thread::sleep_for(milliseconds(load / 3));
      q1_before_full = cast.publishers[kQ1]->fates().size();
      if (!volume->fill_leaving(guard / 2)) return fail(cycle, "the ballast could not be written");
      std::this_thread::sleep_for(milliseconds(1500));
      volume->release();
      std::this_thread::sleep_for(milliseconds(1500));
    }
    // Mid-stream, the main subscriber that is online goes and comes back
    // (DISCONNECT, then Clean Session / Clean Start 0): its session must
    // resume, with what was queued meanwhile.
    if (!enospc) {
      const int rest = volume ? load * 2 / 3 : load;
      std::this_thread::sleep_for(milliseconds(rest / 2));
      Subscriber& online = *cast.main[static_cast<std::size_t>(cycle + 1) % 2];
      online.stop();
      online.disconnect();
      if (online.connect(port) != true) {
        ++result.sessions_lost;
        tally.problem(online.id() + ": no Session Present 1 when it came back mid-stream");
      }
      online.start();
      std::this_thread::sleep_for(milliseconds(rest - rest / 2));
      if (!broker.running()) return fail(cycle, "the broker ended by itself: " + broker.status());
    }

    // --- the crash ---
    cast.flipper->request_stop();
    broker.kill();
    const auto crashed = Clock::now();
    if (power && (!power->cut() || !power->power_on())) return fail(cycle, power->why());
    for (auto& p : cast.publishers) p->stop();
    for (Subscriber* s : cast.readers()) s->stop();
    cast.flipper->stop();
    cast.will->forget();
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
    const auto listening = Clock::now();
    last_start_ms = ms_between(spawned, listening);
    result.listen_ms.push_back(ms_between(crashed, listening));
    // Every other cycle the will client is back at once, well within its
    // Will Delay Interval (which a restart starts again): its will must never
    // come. Otherwise it stays away until the next cycle: the will must come.
    const bool will_back = cycle % 2 == 0;
    run.will_due[will_at_crash] = !will_back;
    if (will_back) {
      const std::optional<bool> present = cast.will->connect(port, ++run.will_connection);
      if (present != true) {
        ++result.sessions_lost;
        tally.problem(cast.will->id() + ": no Session Present 1 after the restart");
      }
    }
    for (Subscriber* s : cast.readers()) {
      const std::optional<bool> present = s->connect(port);
      if (present != true) {
        ++result.sessions_lost;
        tally.problem(s->id() + (present ? ": Session Present 0: its session is LOST"
                                         : ": no CONNACK 0 after the restart"));
      }
      s->start();
    }
    if (cast.flipper->connect(port) != true) {
      ++result.sessions_lost;
      tally.problem(cast.flipper->id() + ": no Session Present 1 after the restart");
    }
    for (auto& p : cast.publishers) {
      const std::optional<bool> present = p->connect(port);
      if (present != true) {
        ++result.sessions_lost;
        tally.problem("crashtest-pub-" + p->spec().name +
                      (present ? ": Session Present 0: its session (and the QoS 2 packet "
                                 "identifiers it had sent) is LOST"
                               : ": no CONNACK 0 after the restart"));
      }
      if (!p->settle(kSettleTimeout)) {
        tally.problem("crashtest-pub-" + p->spec().name +
                      ": publishes in flight at the crash were never acknowledged");
      }
    }

    // What the publishers had in flight at the crash they have sent again by
    // now: the broker received those messages (and started their expiry) anew.
    const auto resent = Clock::now();

    // --- every acknowledged message must arrive ---
    std::vector<StreamFates> all;
    for (auto& p : cast.publishers) all.push_back({&p->spec(), p->fates()});
    const std::vector<StreamFates> shared = {all[kShared]};
    const std::vector<StreamFates> slow = {all[kSlow]};
    const auto group_counts = [&] {
      std::vector<Subscriber::Counts> members;
      for (const auto& m : cast.group) members.push_back(m->counts());
      return merge(members);
    };
    const auto drained = Clock::now() + kDrainTimeout;
    for (const auto& s : cast.main) wait_until([&] { return watch.has_all(*s, all); }, drained);
    std::vector<const Subscriber*> members;
    for (const auto& m : cast.group) members.push_back(m.get());
    wait_until([&] { return watch.has_all(members, shared); }, drained);
    wait_until([&] { return watch.has_all(*cast.slow, slow); }, drained);
    if (!will_back) {
      const auto due = listening + std::chrono::seconds(WillClient::kDelayS + 4);
      for (const auto& s : cast.main) {
        wait_until([&] { return s->seen("will", will_at_crash) > 0; }, due);
      }
    }
    std::this_thread::sleep_for(kGrace);  // a late duplicate still shows

    std::optional<Clock::time_point> first;
    std::uint64_t delivered = 0;
    for (const auto& s : cast.main) {
      const Subscriber::Counts c = s->counts();
      check_streams(s->id(), c, all, tally);
      delivered += c.deliveries;
      if (c.first_after_connect)
        first = std::min(first.value_or(*c.first_after_connect), *c.first_after_connect);
      for (const auto& [n, due] : run.will_due) {
        const std::uint32_t got = c.times_seen("will", n);
        if (due && got == 0) {
          ++result.will_errors;
          tally.problem(s->id() + ": the will of connection " + std::to_string(n) +
                        ", which stayed away, was not published (LOST)");
        } else if (!due && got > 0) {
          ++result.will_errors;
          tally.problem(s->id() + ": the will of connection " + std::to_string(n) +
                        " was published although its client came back within the delay");
        }
      }
    }
    const Subscriber::Counts group = group_counts();
    check_streams("the shared subscription", group, shared, tally);
    const Subscriber::Counts slow_counts = cast.slow->counts();
    check_streams(cast.slow->id(), slow_counts, slow, tally);
    delivered += group.deliveries + slow_counts.deliveries;
    if (first && *first > crashed) result.first_ms.push_back(ms_between(crashed, *first));
    result.wills_published = result.wills_withheld = 0;
    for (const auto& [n, due] : run.will_due)
      ++(due ? result.wills_published : result.wills_withheld);

    // --- the retained value ---
    const std::vector<Fate>& retained = all[kRetained].fates;
    std::optional<std::size_t> last_acked;
    for (std::size_t seq = 0; seq < retained.size(); ++seq) {
      if (retained[seq] == Fate::kAcked) last_acked = seq;
    }
    const std::string retained_topic = all[kRetained].spec->topic;
    const std::optional<std::string> value =
        read_retained(port, retained_topic, milliseconds(2000));
    const auto id = value ? parse_payload(*value) : std::nullopt;
    if (last_acked && (!id || id->stream != "r" || id->seq < *last_acked)) {
      ++result.retained_rolled_back;
      tally.problem(retained_topic + " holds " + value.value_or("nothing") + ", older than r:" +
                    std::to_string(*last_acked) + ", the last acknowledged update");
    }

    // --- the subscription changes ---
    const Flipper::State flip = cast.flipper->state();
    const std::string probe = "flip:" + std::to_string(cycle);
    if (!publish_once(port, Flipper::kTopic, probe)) {
      tally.problem(std::string("a probe could not be published to ") + Flipper::kTopic);
    } else {
      const bool got = cast.flipper->receives(
          probe, milliseconds(flip.subscribed || flip.in_flight ? 2000 : 300));
      if (flip.in_flight) {
        cast.flipper->settle(got);
      } else if (got != flip.subscribed) {
        ++result.subscription_errors;
        tally.problem(cast.flipper->id() + ": its " +
                      (flip.subscribed ? "SUBSCRIBE to " : "UNSUBSCRIBE from ") + Flipper::kTopic +
                      " was acknowledged, but after the restart " + probe +
                      (got ? " arrived: the subscription came back"
                           : " did not arrive: the subscription is LOST"));
      }
    }
    result.subscription_changes = static_cast<std::uint64_t>(cast.flipper->state().changes);

    // --- expired messages are not delivered ---
    if (cycle % kExpiryEvery == 0 || cycle == o.cycles) {
      // Every message on ct/exp was published before the crash, or sent
      // again right after the restart, with an expiry of 1 s: past this point
      // none may be delivered. (Counted from the crash, the re-sent ones were
      // still alive when a slow restart, under the sanitizers, took 0.7 s.)
      std::this_thread::sleep_until(resent + milliseconds(1500));
      const std::optional<bool> present = cast.expiry->connect(port);
      if (present != true) {
        ++result.sessions_lost;
        tally.problem(cast.expiry->id() + ": no Session Present 1");
      }
      cast.expiry->start();
      std::this_thread::sleep_for(milliseconds(300));
      cast.expiry->stop();
      cast.expiry->disconnect();
      const Subscriber::Counts c = cast.expiry->counts();
      if (c.deliveries > 0) {
        result.expired_delivered = c.deliveries;
        tally.problem(cast.expiry->id() + ": " + std::to_string(c.deliveries) +
                      " messages delivered after their Message Expiry Interval had passed");
      }
    }

    // --- the disk mode: refused while full, accepted after ---
    if (volume && !enospc) {
      // The MQTT 5 QoS 1 stream. (A 3.1.1 publisher's connection is closed
      // instead; it sends again after the restart.)
      const std::vector<Fate>& f = all[kQ1].fates;
      std::optional<std::size_t> last_refused;
      for (std::size_t seq = q1_before_full; seq < f.size(); ++seq) {
        if (f[seq] == Fate::kRefused) last_refused = seq;
      }
      const bool resumed =
          last_refused && std::any_of(f.begin() + static_cast<std::ptrdiff_t>(*last_refused),
                                      f.end(), [](Fate x) { return x == Fate::kAcked; });
      if (!last_refused) {
        tally.problem("nothing published to ct/q1 was refused while the volume had " +
                      std::to_string(guard / 2 >> 20) + " MiB free, below the guard");
      } else if (!resumed) {
        tally.problem("publishing to ct/q1 did not resume after the space returned");
      }
    }

    // The totals are over the whole run: each cycle's checks cover every
    // message so far, so they are replaced, not added.
    result.cycles = cycle;
    result.acked_qos1 = result.acked_qos2 = result.refused = 0;
    for (const StreamFates& s : all) {
      const auto acked =
          static_cast<std::uint64_t>(std::count(s.fates.begin(), s.fates.end(), Fate::kAcked));
      (s.spec->qos == 2 ? result.acked_qos2 : result.acked_qos1) += acked;
      result.refused +=
          static_cast<std::uint64_t>(std::count(s.fates.begin(), s.fates.end(), Fate::kRefused));
    }
    // A floor under the checks: a broker that refused or dropped every
    // publish would lose nothing. Each cycle must see acknowledged traffic,
    // and refusals only where the mode makes them (the disk mode's full volume).
    if (result.acked_qos1 + result.acked_qos2 <= acked_before) {
      tally.problem("no publish was acknowledged in this cycle: nothing was tested");
    }
    acked_before = result.acked_qos1 + result.acked_qos2;
    if (!volume && result.refused > 0) {
      tally.problem(std::to_string(result.refused) +
                    " publishes refused, in a mode where nothing should be");
    }
    result.delivered = delivered;
    result.lost = tally.lost;
    result.duplicated_qos1 = tally.duplicated_qos1;
    result.duplicated_qos2 = tally.duplicated_qos2;
    result.unpublished = tally.unpublished;
    if (power) {
      result.bytes_discarded = power->bytes_discarded();
      result.names_undone = power->names_undone();
    }
    if (o.verbose || !tally.problems.empty()) {
      std::cout << "[" << o.mode << "] cycle " << cycle << "/" << o.cycles << ", crash " << load
                << " ms into the load: acked " << result.acked_qos1 << " QoS 1 + "
                << result.acked_qos2 << " QoS 2, delivered " << delivered << ", listening after "
                << static_cast<int>(result.listen_ms.back()) << " ms; " << cast.flipper->id()
                << (flip.in_flight    ? " had a change in flight"
                    : flip.subscribed ? " was subscribed"
                                      : " was unsubscribed")
                << std::endl;
    }
    if (!tally.problems.empty()) {
      std::string what;
      for (const std::string& p : tally.problems) what += "\n  - " + p;
      return fail(cycle, what);
    }
  }
  broker.stop();
  // Each mode proves it did what it says, or its passes prove nothing.
  if (o.mode == "recovery" && result.crashes_during_recovery == 0) {
    result.failure = "no second crash landed while the broker was starting, in " +
                     std::to_string(o.cycles) + " cycles: recovery was never interrupted";
  }
  if (enospc && result.full_disk_exits != static_cast<std::uint64_t>(result.cycles)) {
    result.failure = "the broker exited on a full volume in " +
                     std::to_string(result.full_disk_exits) + " of " +
                     std::to_string(result.cycles) + " cycles";
  }
  if (power && result.bytes_discarded == 0) {
    result.failure = "the power cuts discarded no unsynced byte in " + std::to_string(o.cycles) +
                     " cycles: nothing was lost to lose";
  }
  return result;
}

}  // namespace cairn::crashtest
