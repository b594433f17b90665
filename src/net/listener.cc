#include "net/listener.h"

#include <stdexcept>
#include <variant>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "net/tls_context.h"

namespace cairn::net {
namespace {
namespace asio = boost::asio;

}  // namespace

Listener::Listener(asio::io_context& accept_context, IoThreads& threads,
                   const asio::ip::tcp::endpoint& endpoint, const config::ListenerConfig& config,
                   std::string key, broker::Broker& broker, const ConnectionSettings& settings,
                   ConnectionStats& stats, std::size_t max_connections)
    : acceptor_(accept_context),
      config_(config),
      threads_(threads),
      broker_(broker),
      settings_(settings),
      stats_(stats),
      max_connections_(max_connections) {
  auto transport = std::make_shared<TransportSettings>();
  transport->type = config.type;
  transport->path = config.path;
  transport->handshake_timeout = std::chrono::seconds(config.handshake_timeout);
  transport->use_identity_as_username = config.use_identity_as_username;
  transport->key = std::move(key);
  transport_settings_ = std::move(transport);
  if (config::uses_tls(config.type)) {
    auto made = make_tls_context(config, transport_settings_->key);
    if (auto* error = std::get_if<TlsContextError>(&made)) throw std::runtime_error(error->message);
    tls_context_ = std::get<std::shared_ptr<asio::ssl::context>>(std::move(made));
  }
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::start() { do_accept(); }

void Listener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

std::optional<std::string> Listener::reload_tls() {
  if (!config::uses_tls(config_.type)) return std::nullopt;
  auto made = make_tls_context(config_, transport_settings_->key);
  if (auto* error = std::get_if<TlsContextError>(&made)) return error->message;
  std::lock_guard lock(tls_mutex_);
  tls_context_ = std::get<std::shared_ptr<asio::ssl::context>>(std::move(made));
  return std::nullopt;
}

Transport Listener::make_transport(asio::ip::tcp::socket socket) {
  if (config_.type == config::ListenerType::kMqtt) return Transport(std::move(socket));
  std::shared_ptr<asio::ssl::context> context;
  {
    std::lock_guard lock(tls_mutex_);
    context = tls_context_;
  }
  return Transport(std::move(socket), transport_settings_, std::move(context));
}

asio::ip::tcp::endpoint Listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void Listener::do_accept() {
  acceptor_.async_accept(
      threads_.next(), [this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (!ec) {
          if (max_connections_ != 0 && stats_.active.load() >= max_connections_) {
            // Over the limit: closed before any byte is read, so a flood of
            // connections costs nothing more. Logged at the 1st, 2nd, 4th...
            // refusal, so an episode is visible without a line per attempt.
            const std::uint64_t refused = ++refused_;
            ++stats_.refused_limit;
            if ((refused & (refused - 1)) == 0) {
              spdlog::warn(
                  "connection refused: {} connections is the limit "
                  "(limits.max_connections); {} refused so far",
                  max_connections_, refused);
            }
            boost::system::error_code ignored;
            socket.close(ignored);
          } else {
            auto connection =
                std::make_shared<Connection>(make_transport(std::move(socket)), broker_, settings_,
                                             stats_, stats_.next_connection_number++);
            // Start it on its own io_context's thread: from here on only
            // that thread touches it.
            asio::post(connection->executor(), [connection] { connection->start(); });
          }
        }
        do_accept();
      });
}

}  // namespace cairn::net
