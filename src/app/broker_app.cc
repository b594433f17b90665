#include "app/broker_app.h"

#include <cstdio>
#include <filesystem>
#include <optional>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/access_setup.h"
#include "base/version.h"
#include "config/listen_address.h"
#include "storage/free_space_guard.h"

namespace cairn::app {
namespace {

namespace asio = boost::asio;

// Assigned client identifiers [MQTT-3.1.3-6] must not collide with ones a
// previous run of the broker assigned to still-stored sessions, hence a
// random prefix per run.
std::string random_client_id_prefix() {
  std::random_device device;
  std::uniform_int_distribution<std::uint32_t> dist;
  char text[32];
  std::snprintf(text, sizeof text, "cairn-%08x%08x-", dist(device), dist(device));
  return text;
}

session::SessionLimits session_limits(const config::Config& c) {
  session::SessionLimits l;
  l.assigned_client_id_prefix = random_client_id_prefix();
  l.receive_maximum = c.limits.receive_maximum;
  l.maximum_packet_size = c.limits.max_packet_size;
  l.topic_alias_maximum = c.limits.topic_alias_maximum;
  l.max_keep_alive = c.limits.max_keep_alive;
  l.max_session_expiry = c.limits.max_session_expiry_interval;
  l.max_inflight = c.limits.max_inflight_messages;
  l.max_queued = c.limits.max_queued_messages;
  l.max_subscriptions = c.limits.max_subscriptions_per_client;
  l.max_topic_length = c.limits.max_topic_length;
  l.max_topic_levels = c.limits.max_topic_levels;
  l.maximum_qos = static_cast<model::QoS>(c.features.maximum_qos);
  l.retain_available = c.features.retain_available;
  l.wildcard_subscription_available = c.features.wildcard_subscription_available;
  l.subscription_identifiers_available = c.features.subscription_identifiers_available;
  l.shared_subscription_available = c.features.shared_subscription_available;
  return l;
}

asio::ip::tcp::endpoint resolve(asio::io_context& context, const std::string& listen) {
  const auto parsed = config::parse_listen_address(listen);
  const auto& address = std::get<config::ListenAddress>(parsed);  // validated at load
  asio::ip::tcp::resolver resolver(context);
  const auto results = resolver.resolve(address.host, std::to_string(address.port),
                                        asio::ip::tcp::resolver::passive);
  return results.begin()->endpoint();
}

broker::BrokerSettings broker_settings(const config::Config& c) {
  broker::BrokerSettings s;
  s.max_queued = c.limits.max_queued_messages;
  s.max_queued_bytes = std::uint64_t{c.limits.max_queued_mb} << 20;
  s.memory_window = c.limits.memory_window_messages;
  s.memory_window_bytes = std::uint64_t{c.limits.memory_window_mb} << 20;
  s.queue_full_policy = c.limits.queue_full_policy == config::QueueFullPolicy::kRefuse
                            ? broker::QueueFullPolicy::kRefuse
                            : broker::QueueFullPolicy::kDrop;
  return s;
}

// The volume's free space, read at the data directory or, before it exists,
// at the nearest directory above it that does.
std::optional<std::uint64_t> free_space_at(std::filesystem::path dir) {
  std::error_code ec;
  while (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  return storage::FreeSpaceGuard::statvfs_probe(dir.empty() ? "." : dir.string());
}

// Start-up waits while the volume is below the free-space guard: a store
// opened then would refuse every publish, and recovery itself writes. The
// wait says why and what ends it.
void wait_for_free_space(const config::Config& config) {
  const std::uint64_t min = std::uint64_t{config.min_free_space_mb} << 20;
  if (min == 0) return;
  std::chrono::steady_clock::time_point said{};
  for (;;) {
    const std::optional<std::uint64_t> free = free_space_at(config.data_dir);
    if (!free || *free >= min) return;
    const auto now = std::chrono::steady_clock::now();
    if (said == std::chrono::steady_clock::time_point{} || now - said >= std::chrono::seconds(30)) {
      spdlog::warn(
          "start-up waits: the volume of {} has {} MiB free, below storage.min_free_space_mb = "
          "{}; cairn opens its store once there is room (free some space, or lower the setting)",
          config.data_dir, *free >> 20, config.min_free_space_mb);
      said = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

recovery::Recovered open_store(const config::Config& config) {
  wait_for_free_space(config);
  storage::LeveldbStore::Options options;
  options.directory = config.data_dir;
  options.min_free_bytes = std::uint64_t{config.min_free_space_mb} * 1024 * 1024;
  // Every session is offline at start-up: none keeps its stored deliveries
  // in memory (D7), only those in flight, which must be re-sent first.
  options.queue_window = 0;
  recovery::Recovered recovered = recovery::recover(options);
  if (!recovered.store) throw StoreError(recovered.error);
  return recovered;
}

}  // namespace

BrokerApp::BrokerApp(const config::Config& config, const StoreDecorator& decorate)
    : config_(config),
      recovered_(open_store(config)),
      decorated_(decorate ? decorate(*recovered_.store) : nullptr),
      broker_(decorated_ ? *decorated_ : *recovered_.store, broker_settings(config)),
      threads_(config.io_threads),
      housekeeping_(main_) {
  connection_settings_.limits = session_limits(config);
  connection_settings_.connect_timeout = std::chrono::seconds(config.limits.connect_timeout);
  // D6: everything the store held is in the broker before a listener opens.
  broker_.restore(std::move(recovered_.state), std::chrono::system_clock::now());
  recovered_.state = {};
#if defined(__GLIBC__)
  // Reading the store back made and freed millions of small objects; glibc
  // keeps freed memory resident unless asked, and a broker with a large
  // backlog would start with its peak as its footprint.
  malloc_trim(0);
#endif
  spdlog::info("store {}: {}", config.data_dir, recovered_.report.summary());
}

BrokerApp::~BrokerApp() { shutdown(); }

void BrokerApp::start() {
  // Every listener's address first: whether anonymous clients may connect
  // depends on all of them, and the access rules must be in place before the
  // first connection is accepted.
  std::vector<ListenerExposure> exposures;
  for (std::size_t i = 0; i < config_.listeners.size(); ++i) {
    const config::ListenerConfig& listener = config_.listeners[i];
    const std::string key = config::listener_key(i);
    // One listener is the [listener] table of the embedded default and of
    // most files: named as the operator wrote it.
    const std::string named = config_.listeners.size() == 1 ? std::string("listener") : key;
    try {
      exposures.push_back(
          ListenerExposure{named + ".listen", resolve(main_, listener.listen),
                           listener.require_certificate && listener.use_identity_as_username});
    } catch (const boost::system::system_error& error) {
      throw std::runtime_error(key + ".listen: cannot resolve " + listener.listen + ": " +
                               error.code().message());
    }
  }
  open_access_control(exposures);
  for (std::size_t i = 0; i < config_.listeners.size(); ++i) {
    const config::ListenerConfig& listener = config_.listeners[i];
    const std::string key = config::listener_key(i);
    try {
      listeners_.push_back(std::make_unique<net::Listener>(
          main_, threads_, exposures[i].endpoint, listener, key, broker_, connection_settings_,
          connection_stats_, config_.limits.max_connections));
    } catch (const boost::system::system_error& error) {
      throw std::runtime_error(key + ".listen: cannot listen on " + listener.listen + ": " +
                               error.code().message());
    }
  }
  metrics::Sources sources;
  sources.store = recovered_.store.get();
  sources.broker = &broker_;
  sources.connections = &connection_stats_;
  sources.recovery = &recovered_.report;
  sources.access = access_.get();
  sources.data_dir = config_.data_dir;
  std::string error;
  if (!config_.metrics_listen.empty()) {
    metrics_ = metrics::MetricsServer::start(config_.metrics_listen, std::move(sources), error);
  }
  if (!metrics_ && !config_.metrics_listen.empty()) {
    throw std::runtime_error("cannot serve metrics on " + config_.metrics_listen +
                             " (metrics.listen, --metrics-listen): " + error);
  }
  started_ = std::chrono::steady_clock::now();
  threads_.start();
  publish_sys();
  for (const auto& listener : listeners_) {
    listener->start();
    const asio::ip::tcp::endpoint endpoint = listener->local_endpoint();
    const std::string address = endpoint.address().is_v6()
                                    ? "[" + endpoint.address().to_string() + "]"
                                    : endpoint.address().to_string();
    spdlog::info("cairn listening on {}:{} ({})", address, endpoint.port(),
                 config::listener_type_name(listener->type()));
  }
  arm_housekeeping();
  spdlog::info("{}", metrics_ ? fmt::format("metrics on {} (port {})", config_.metrics_listen,
                                            metrics_->port())
                              : std::string("metrics off ([metrics] listen is empty)"));
}

void BrokerApp::arm_housekeeping() {
  housekeeping_.expires_after(std::chrono::seconds(1));
  housekeeping_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    if (recovered_.store->failed()) return exit_on_store_failure();
    recovered_.store->refresh_space();
    broker_.tick(std::chrono::system_clock::now());
    ++ticks_;
    if (config_.sys_interval != 0 && ticks_ % config_.sys_interval == 0) publish_sys();
    arm_housekeeping();
  });
}

void BrokerApp::exit_on_store_failure() {
  // Never retried in place (the fsyncgate lesson: a retried sync can succeed
  // over lost pages). Nothing unstored was acknowledged meanwhile (D8); a
  // restart recovers everything that was.
  spdlog::critical(
      "the store in {} failed and accepts nothing more (its error is logged above); closing "
      "every client and exiting with status {} so that the service manager restarts cairn, whose "
      "recovery reads back every acknowledged message",
      config_.data_dir, kStoreFailedExit);
  exit_code_ = kStoreFailedExit;
  shutdown();
}

void BrokerApp::publish_sys() {
  if (config_.sys_interval == 0) return;
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  const auto& s = connection_stats_;
  broker_.publish_system("$SYS/broker/version", std::string("cairn ") + kVersion);
  broker_.publish_system("$SYS/broker/uptime", std::to_string(uptime.count()) + " seconds");
  broker_.publish_system("$SYS/broker/clients/connected", std::to_string(s.active.load()));
  broker_.publish_system("$SYS/broker/messages/received", std::to_string(s.messages_in.load()));
  broker_.publish_system("$SYS/broker/messages/sent", std::to_string(s.messages_out.load()));
  broker_.publish_system("$SYS/broker/bytes/received", std::to_string(s.bytes_in.load()));
  broker_.publish_system("$SYS/broker/bytes/sent", std::to_string(s.bytes_out.load()));
}

void BrokerApp::open_access_control(const std::vector<ListenerExposure>& listeners) {
  auto resolved = resolve_auth(config_.auth, listeners);
  if (auto* refusal = std::get_if<std::string>(&resolved)) throw ConfigRefused(*refusal);
  auto opened = auth::AccessControl::open(std::get<auth::AuthSettings>(std::move(resolved)));
  if (auto* error = std::get_if<std::string>(&opened)) throw ConfigRefused(*error);
  access_ = std::get<std::unique_ptr<auth::AccessControl>>(std::move(opened));
  connection_settings_.access_control = access_.get();
  connection_settings_.login_pool = &login_pool_;
  // Without an ACL nothing is asked per request or delivery.
  connection_settings_.limits.access = access_->has_acl_file() ? access_.get() : nullptr;
  const auth::AuthSettings& s = access_->settings();
  spdlog::info("auth: {}; {}; anonymous clients {}",
               s.password_file.empty() ? "no password file" : "password file " + s.password_file,
               s.acl_file.empty() ? "no ACL file" : "ACL file " + s.acl_file,
               s.allow_anonymous ? "allowed" : "refused");
  if (!s.acl_file.empty() && s.password_file.empty()) {
    spdlog::warn(
        "auth: an ACL file without a password file: its `user` rules trust user names nobody "
        "verified (unless they come from client certificates)");
  }
}

std::vector<std::string> BrokerApp::reload() {
  std::vector<std::string> errors;
  // Certificates first: each TLS listener keeps serving its previous
  // certificate when the new files cannot be used, so connections open now
  // and new ones are never left without one.
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    if (!config::uses_tls(listeners_[i]->type())) continue;
    if (auto error = listeners_[i]->reload_tls()) {
      spdlog::error("reload: keeping the previous certificate: {}", *error);
      errors.push_back(*error);
    } else {
      spdlog::info("reload: {} certificate files read again", config::listener_key(i));
    }
  }
  if (access_ == nullptr ||
      (access_->settings().password_file.empty() && access_->settings().acl_file.empty())) {
    return errors;
  }
  const std::vector<std::string> refused = access_->reload();
  for (const std::string& error : refused) {
    spdlog::error("reload refused: {}; the rules loaded before stay in force", error);
  }
  if (refused.empty()) spdlog::info("reload: password and ACL files read again");
  errors.insert(errors.end(), refused.begin(), refused.end());
  return errors;
}

void BrokerApp::arm_reload(asio::signal_set& hangups) {
  hangups.async_wait([this, &hangups](const boost::system::error_code& ec, int) {
    if (ec || stopped_) return;
    spdlog::info("SIGHUP: reloading");
    reload();
    arm_reload(hangups);
  });
}

int BrokerApp::run_until_signal() {
  asio::signal_set hangups(main_, SIGHUP);
  arm_reload(hangups);
  asio::signal_set signals(main_, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signal);
    shutdown();
  });
  main_.run();
  return exit_code_;
}

void BrokerApp::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  housekeeping_.cancel();
  for (const auto& listener : listeners_) listener->stop();
  // Tell every client why, then give the connections a moment to flush.
  broker_.kick_all(mqtt::ReasonCode::kServerShuttingDown);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (connection_stats_.active.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (decorated_ ? *decorated_ : *recovered_.store).close();
  threads_.stop_and_join();
  login_pool_.join();
  main_.stop();
}

asio::ip::tcp::endpoint BrokerApp::mqtt_endpoint() const { return listener_endpoint(0); }

asio::ip::tcp::endpoint BrokerApp::listener_endpoint(std::size_t index) const {
  return listeners_.at(index)->local_endpoint();
}

}  // namespace cairn::app
