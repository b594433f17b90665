#include "load/scenario.h"

#include <algorithm>
#include <iostream>
#include <random>
#include <string>
#include <utility>

#include <sys/resource.h>

namespace cairn::load {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Connections being opened at once: a listen backlog must not overflow
// (mosquitto listens with a backlog of 100).
constexpr std::size_t kConnectConcurrency = 64;
constexpr double kSetupTimeoutS = 30;
constexpr double kDrainTimeoutS = 5;
constexpr double kCloseTimeoutS = 5;
// A wait_until() that only its condition ends (a year).
constexpr double kForeverS = 3e7;
// backlog: a phase that waits on the broker fails once nothing has moved for
// this long; a fixed timeout would not suit both 1,000 messages and 10M.
constexpr double kStallS = 30;
// backlog: after the sessions' DISCONNECTs, before publishing. The broker
// handles a DISCONNECT on that session's connection, maybe after the
// publisher's first messages arrived on another, and those would go to a
// closed socket (correct, and re-sent at reconnection, but not the offline
// path this scenario measures).
constexpr double kOfflinePauseS = 0.5;
// backlog: with everything queued, before the sessions reconnect: an observer
// (compare.sh) reads the broker's memory here, after the "queued" line.
constexpr double kQueuedPauseS = 1;
// backlog: after the last message drained, before closing: a broker that
// sends something twice shows it now.
constexpr double kAfterDrainS = 0.5;
// Reads of an idle connection: it receives nothing but its CONNACK.
constexpr std::size_t kIdleReadBuffer = 256;

// A connection that only connects.
class IdleConnection : public Connection {
 public:
  using Connection::Connection;

 protected:
  void on_packet(mqtt::Packet&, std::uint64_t) override {}
};

std::string random_tag() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> digit(0, 35);
  std::string tag;
  for (int i = 0; i < 6; ++i) tag += "0123456789abcdefghijklmnopqrstuvwxyz"[digit(device)];
  return tag;
}

double seconds_between(std::uint64_t from_ns, std::uint64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e9;
}

// CPU seconds this process has used, every thread, user and system.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

LoadRun::LoadRun(Options options)
    : options_(std::move(options)),
      client_prefix_(options_.client_prefix.empty() ? "cairn-load-" + random_tag()
                                                    : options_.client_prefix) {
  for (unsigned i = 0; i < options_.threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
}

LoadRun::~LoadRun() { shut_down(); }

asio::io_context& LoadRun::thread_for(std::size_t index) {
  return *contexts_[index % contexts_.size()];
}

Connection::Config LoadRun::config(std::string role, std::size_t index) const {
  Connection::Config config;
  config.client_id = client_prefix_ + "-" + role + std::to_string(index);
  config.version = options_.version;
  config.persistent = options_.persistent;
  config.session_expiry_s = options_.session_expiry_s;
  if (options_.scenario == Scenario::kIdle) config.read_buffer = kIdleReadBuffer;
  config.tls = tls_;
  return config;
}

void LoadRun::build(const tcp::endpoint& broker) {
  const std::uint32_t n = options_.clients;
  const std::string& prefix = options_.topic_prefix;
  auto add_publisher = [&](std::uint32_t id, std::size_t thread) {
    Publisher::Settings settings{id, prefix + "/" + std::to_string(id), options_.qos,
                                 options_.window, options_.payload};
    if (options_.scenario == Scenario::kBacklog) settings.limit = options_.messages;
    publishers_.push_back(
        std::make_unique<Publisher>(thread_for(thread), broker, config("p", id), state_, settings));
  };
  auto add_subscriber = [&](std::string filter, std::size_t index, std::size_t thread) {
    subscribers_.push_back(std::make_unique<Subscriber>(
        thread_for(thread), broker, config("s", index), state_, std::move(filter), options_.qos));
  };
  auto connect = [&](Publisher& publisher, std::uint32_t publisher_id, Subscriber& subscriber) {
    streams_.push_back(std::make_unique<Stream>(&publisher));
    publisher.add_stream(streams_.back().get());
    subscriber.add_stream(publisher_id, streams_.back().get());
  };
  switch (options_.scenario) {
    case Scenario::kPairs:  // pair i: both ends on thread i
      for (std::uint32_t i = 0; i < n; ++i) {
        add_publisher(i, i);
        add_subscriber(prefix + "/" + std::to_string(i), i, i);
        connect(*publishers_.back(), i, *subscribers_.back());
      }
      break;
    case Scenario::kFanout:
      add_publisher(0, 0);
      for (std::uint32_t i = 0; i < n; ++i) {
        add_subscriber(prefix + "/0", i, i);
        connect(*publishers_[0], 0, *subscribers_.back());
      }
      break;
    case Scenario::kFanin:
      add_subscriber(prefix + "/+", 0, 0);
      for (std::uint32_t i = 0; i < n; ++i) {
        add_publisher(i, i);
        connect(*publishers_.back(), i, *subscribers_[0]);
      }
      break;
    case Scenario::kBacklog:
      // The sessions' first connections only subscribe; run_backlog() makes
      // the second ones, and their streams. The publisher has no stream: its
      // window is not end to end, as nobody receives while it publishes.
      add_publisher(0, 0);
      for (std::uint32_t i = 0; i < n; ++i) add_subscriber(prefix + "/0", i, i);
      break;
    case Scenario::kConnect:
      // N slots spread over the threads; loop t's client ids are <prefix>-c<t>-<n>.
      for (std::size_t t = 0; t < contexts_.size() && t < n; ++t) {
        ConnectLoop::Settings settings;
        settings.broker = broker;
        settings.tls = tls_;
        settings.version = options_.version;
        settings.client_prefix = client_prefix_ + "-c" + std::to_string(t);
        settings.slots = n / contexts_.size() + (t < n % contexts_.size() ? 1 : 0);
        connect_loops_.push_back(
            std::make_unique<ConnectLoop>(*contexts_[t], std::move(settings), state_));
      }
      break;
    case Scenario::kIdle:
      for (std::uint32_t i = 0; i < n; ++i) {
        idle_.push_back(
            std::make_unique<IdleConnection>(thread_for(i), broker, config("i", i), state_));
      }
      break;
  }
}

std::vector<Connection*> LoadRun::all_connections() const {
  std::vector<Connection*> all;
  for (const auto& subscriber : subscribers_) all.push_back(subscriber.get());
  for (const auto& subscriber : resumed_) all.push_back(subscriber.get());
  for (const auto& publisher : publishers_) all.push_back(publisher.get());
  for (const auto& idle : idle_) all.push_back(idle.get());
  return all;
}

bool LoadRun::wait_until(const std::function<bool()>& done, double timeout_s) {
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout_s * 1e9);
  for (;;) {
    if (done()) return true;
    if (state_.failed() || now_ns() >= deadline) return false;
    const std::uint32_t keep_alive = state_.server_keep_alive.load();
    if (keep_alive > 0 && now_ns() >= next_ping_ns_) {
      if (next_ping_ns_ != 0) {
        for (Connection* connection : all_connections()) connection->ping();
      }
      next_ping_ns_ = now_ns() + keep_alive * 500'000'000ull;  // half the keep alive
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool LoadRun::wait_for_count(const std::function<std::uint64_t()>& count, std::uint64_t target,
                             double stall_s) {
  std::uint64_t last = count();
  std::uint64_t moved_ns = now_ns();
  bool stalled = false;
  const auto stall_ns = static_cast<std::uint64_t>(stall_s * 1e9);
  wait_until(
      [&] {
        const std::uint64_t now = count();
        if (now >= target) return true;
        if (now != last) {
          last = now;
          moved_ns = now_ns();
        } else if (now_ns() - moved_ns >= stall_ns) {
          stalled = true;
          return true;
        }
        return false;
      },
      kForeverS);
  return !stalled && count() >= target && !state_.failed();
}

void LoadRun::hold(double seconds) {
  wait_until([] { return false; }, seconds);
}

bool LoadRun::drain() {
  state_.phase = Phase::kDrain;
  return wait_until(
      [this] {
        for (const auto& stream : streams_) {
          if (stream->distinct.load() < stream->publisher->sent()) return false;
        }
        for (const auto& publisher : publishers_) {
          if (publisher->in_flight() > 0) return false;
        }
        return true;
      },
      kDrainTimeoutS);
}

void LoadRun::shut_down() {
  if (threads_.empty()) return;
  state_.phase = Phase::kClosing;
  const std::vector<Connection*> all = all_connections();
  for (Connection* connection : all) connection->disconnect();
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(kCloseTimeoutS * 1e9);
  while (state_.closed.load() < all.size() && now_ns() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  guards_.clear();
  for (auto& context : contexts_) context->stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void LoadRun::measure_streams(Result& result) const {
  for (const auto& stream : streams_) {
    const std::uint64_t sent = stream->publisher->sent();
    const std::uint64_t distinct = stream->tracker.distinct();
    result.lost += sent > distinct ? sent - distinct : 0;
    result.duplicated += stream->tracker.duplicates();
    result.reordered += stream->tracker.reordered();
  }
  LatencyHistogram latency;
  for (const auto& subscriber : subscribers_) latency.merge(subscriber->latency());
  result.p50_us = static_cast<double>(latency.percentile(0.50)) / 1e3;
  result.p99_us = static_cast<double>(latency.percentile(0.99)) / 1e3;
  result.p999_us = static_cast<double>(latency.percentile(0.999)) / 1e3;
  result.max_us = static_cast<double>(latency.max()) / 1e3;
}

Result LoadRun::run() {
  Result result;
  result.scenario = std::string(scenario_name(options_.scenario));
  result.qos = options_.qos;
  result.clients = options_.clients;
  result.payload = options_.payload;
  result.window = options_.window;
  result.mqtt = std::string(version_name(options_.version));
  result.persistent = options_.persistent;
  result.threads = options_.threads;

  tcp::endpoint broker;
  {
    asio::io_context resolver_context;
    tcp::resolver resolver(resolver_context);
    boost::system::error_code error;
    const auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), error);
    if (error || endpoints.empty()) {
      result.errors.push_back("cannot resolve " + options_.host + ": " + error.message());
      return result;
    }
    broker = endpoints.begin()->endpoint();
  }
  if (options_.tls) {
    std::string error;
    tls_ = TlsClient::make(options_, error);
    if (!tls_) {
      result.errors.push_back("TLS: " + error);
      return result;
    }
  }
  build(broker);
  for (auto& context : contexts_) {
    threads_.emplace_back([context = context.get()] { context->run(); });
  }

  // Connect, a bounded number at a time.
  const std::vector<Connection*> all = all_connections();
  std::vector<std::function<void()>> starts;
  for (Connection* connection : all) starts.push_back([connection] { connection->start(); });
  const std::uint64_t connect_started = now_ns();
  state_.set_launch_order(std::move(starts), kConnectConcurrency);
  const double connect_timeout = kSetupTimeoutS + static_cast<double>(all.size()) / 500;
  if (!wait_until([&] { return state_.connected.load() == all.size(); }, connect_timeout) &&
      !state_.failed()) {
    state_.fail("timed out: " + std::to_string(state_.connected.load()) + " of " +
                std::to_string(all.size()) + " connections got their CONNACK");
  }
  result.connections = state_.connected.load();
  result.connect_s = seconds_between(connect_started, now_ns());
  result.connect_rate = static_cast<double>(result.connections) / result.connect_s;

  if (!state_.failed() && options_.scenario == Scenario::kIdle) {
    std::cerr << "cairn-load: " << all.size() << " idle connections open, holding them for "
              << options_.duration_s << " s" << std::endl;
    hold(options_.duration_s);
    result.duration_s = options_.duration_s;
  } else if (!state_.failed()) {
    if (!wait_until([&] { return state_.subscribed.load() == subscribers_.size(); },
                    kSetupTimeoutS) &&
        !state_.failed()) {
      state_.fail("timed out waiting for SUBACK");
    }
  }
  if (!state_.failed() && options_.scenario == Scenario::kBacklog) {
    run_backlog(broker, result);
  } else if (!state_.failed() && options_.scenario == Scenario::kConnect) {
    run_connect(result);
  } else if (!state_.failed() && options_.scenario != Scenario::kIdle) {
    state_.phase = Phase::kWarmup;
    for (const auto& publisher : publishers_) publisher->begin();
    hold(options_.warmup_s);
    auto totals = [this](std::uint64_t& published, std::uint64_t& acked, std::uint64_t& delivered) {
      published = acked = delivered = 0;
      for (const auto& publisher : publishers_) {
        published += publisher->sent();
        acked += publisher->acked();
      }
      for (const auto& subscriber : subscribers_) delivered += subscriber->delivered();
    };
    std::uint64_t published0, acked0, delivered0, published1, acked1, delivered1;
    totals(published0, acked0, delivered0);
    const std::uint64_t measure_started = now_ns();
    const double cpu_started = cpu_seconds();
    state_.phase = Phase::kMeasure;
    hold(options_.duration_s);
    totals(published1, acked1, delivered1);
    result.duration_s = seconds_between(measure_started, now_ns());
    result.load_cpu = (cpu_seconds() - cpu_started) / result.duration_s;
    result.drained = drain();
    result.published = published1 - published0;
    result.acked = acked1 - acked0;
    result.delivered = delivered1 - delivered0;
    result.publish_rate =
        static_cast<double>(options_.qos > 0 ? result.acked : result.published) / result.duration_s;
    result.delivery_rate = static_cast<double>(result.delivered) / result.duration_s;
  }
  shut_down();
  measure_streams(result);
  if (options_.scenario == Scenario::kConnect) {
    // The set-up latencies, not message latencies (there are no streams).
    LatencyHistogram latency;
    for (const auto& loop : connect_loops_) latency.merge(loop->latency());
    result.p50_us = static_cast<double>(latency.percentile(0.50)) / 1e3;
    result.p99_us = static_cast<double>(latency.percentile(0.99)) / 1e3;
    result.p999_us = static_cast<double>(latency.percentile(0.999)) / 1e3;
    result.max_us = static_cast<double>(latency.max()) / 1e3;
  }
  result.tls = state_.tls_negotiated();
  result.errors = state_.errors();
  return result;
}

void LoadRun::run_connect(Result& result) {
  state_.phase = Phase::kWarmup;
  for (const auto& loop : connect_loops_) loop->start();
  hold(options_.warmup_s);
  if (state_.failed()) return;
  auto measured = [this] {
    std::uint64_t sum = 0;
    for (const auto& loop : connect_loops_) sum += loop->measured();
    return sum;
  };
  const std::uint64_t measure_started = now_ns();
  const double cpu_started = cpu_seconds();
  state_.phase = Phase::kMeasure;
  hold(options_.duration_s);
  state_.phase = Phase::kDrain;
  result.duration_s = seconds_between(measure_started, now_ns());
  result.load_cpu = (cpu_seconds() - cpu_started) / result.duration_s;
  result.connections = measured();
  result.connect_s = result.duration_s;
  result.connect_rate = static_cast<double>(result.connections) / result.duration_s;
  // The connections under way finish (and are not counted).
  if (!wait_until(
          [this] {
            for (const auto& loop : connect_loops_) {
              if (loop->active() > 0) return false;
            }
            return true;
          },
          kCloseTimeoutS) &&
      !state_.failed()) {
    state_.fail("timed out waiting for the last connections to close");
  }
  for (const auto& loop : connect_loops_) result.connections_total += loop->completed();
}

void LoadRun::run_backlog(const tcp::endpoint& broker, Result& result) {
  const std::uint64_t messages = options_.messages;
  const std::size_t sessions = subscribers_.size();
  Publisher& publisher = *publishers_[0];
  result.messages = messages;

  // Offline: every session's first connection sends DISCONNECT and closes.
  const std::size_t closed_before = state_.closed.load();
  for (const auto& subscriber : subscribers_) subscriber->disconnect();
  if (!wait_until([&] { return state_.closed.load() >= closed_before + sessions; },
                  kCloseTimeoutS)) {
    if (!state_.failed()) state_.fail("timed out closing the sessions' first connections");
    return;
  }
  hold(kOfflinePauseS);

  // Publish: the run's own clock, from the first PUBLISH to the last ack.
  state_.phase = Phase::kMeasure;
  const std::uint64_t publish_started = now_ns();
  const double cpu_started = cpu_seconds();
  publisher.begin();
  const bool published = wait_for_count([&] { return publisher.acked(); }, messages, kStallS);
  result.publish_s = seconds_between(publish_started, now_ns());
  result.published = publisher.sent();
  result.acked = publisher.acked();
  result.publish_rate = static_cast<double>(result.acked) / result.publish_s;
  result.duration_s = result.publish_s;
  if (!published) {
    if (!state_.failed()) {
      state_.fail("publishing stalled: " + std::to_string(result.acked) + " of " +
                  std::to_string(messages) + " acknowledged, none for " +
                  std::to_string(static_cast<int>(kStallS)) + " s");
    }
    return;
  }
  std::cerr << "cairn-load: " << messages << " messages queued for " << sessions
            << " offline sessions; they reconnect in " << kQueuedPauseS << " s" << std::endl;
  hold(kQueuedPauseS);

  // Drain: the same client ids come back with Clean Start 0, expect Session
  // Present, and do not subscribe: what arrives is what the broker kept.
  state_.phase = Phase::kDrain;
  std::vector<std::function<void()>> starts;
  for (std::size_t i = 0; i < sessions; ++i) {
    Connection::Config resumed = config("s", i);
    resumed.expect_session_present = true;
    resumed_.push_back(std::make_unique<Subscriber>(thread_for(i), broker, std::move(resumed),
                                                    state_, options_.topic_prefix + "/0",
                                                    options_.qos, /*subscribe=*/false));
    streams_.push_back(std::make_unique<Stream>(&publisher));
    resumed_.back()->add_stream(0, streams_.back().get());
    starts.push_back([subscriber = resumed_.back().get()] { subscriber->start(); });
  }
  const std::uint64_t total = messages * sessions;
  auto distinct = [this] {
    std::uint64_t sum = 0;
    for (const auto& stream : streams_) sum += stream->distinct.load();
    return sum;
  };
  const std::uint64_t drain_started = now_ns();
  state_.set_launch_order(std::move(starts), kConnectConcurrency);
  result.drained = wait_for_count(distinct, total, kStallS);
  result.drain_s = seconds_between(drain_started, now_ns());
  result.delivery_rate = static_cast<double>(distinct()) / result.drain_s;
  if (!result.drained && !state_.failed()) {
    state_.fail("drain stalled: " + std::to_string(distinct()) + " of " + std::to_string(total) +
                " deliveries, none for " + std::to_string(static_cast<int>(kStallS)) + " s");
  }
  if (result.drained) hold(kAfterDrainS);
  for (const auto& subscriber : resumed_) result.delivered += subscriber->delivered();
  result.load_cpu =
      (cpu_seconds() - cpu_started) / (result.publish_s + kQueuedPauseS + result.drain_s);
}

}  // namespace cairn::load
