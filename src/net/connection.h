// Connection: one client's connection. It owns the transport (plain TCP,
// TLS, WebSocket or both: transport.h), a FrameDecoder and a SessionMachine, and carries out the
// machine's actions against the Broker (DESIGN.md §2).
//
// Threading: every handler runs on the connection's io_context, which one
// thread runs, so the connection's own members need no lock. The attached
// session's state is shared with the broker (routing from other threads), so
// every machine call that may touch it holds the session's lock. Broker
// completions arrive on any thread and are posted back here (D5: nothing here
// waits on the disk).
//
// Backpressure: at most `max_output_bytes` wait to be written; past that the
// machine is not pumped, so a slow subscriber's messages stay in its session
// queue instead of growing this buffer.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "auth/access_control.h"
#include "broker/broker.h"
#include "mqtt/frame_decoder.h"
#include "net/deadline_sweeper.h"
#include "net/transport.h"
#include "session/session_machine.h"

namespace cairn::net {

struct ConnectionSettings {
  session::SessionLimits limits;
  std::chrono::seconds connect_timeout{10};
  std::size_t max_output_bytes = 1024 * 1024;
  // Who may connect (issue 8). Null accepts every CONNECT as it comes.
  // Not owned; outlives the connections.
  const auth::AccessControl* access_control = nullptr;
  // Where a password hash of more than kInlineLoginRounds rounds runs, off
  // the network thread (null: inline). Not owned.
  boost::asio::thread_pool* login_pool = nullptr;
};

// A mosquitto_passwd hash (101 PBKDF2 rounds) costs about 0.1 ms: checked
// inline. A file written with many more rounds would stall every client of
// the network thread for each login, so those go to the login pool.
inline constexpr int kInlineLoginRounds = 1000;

// Counters shared by every connection of a listener (read by metrics).
struct ConnectionStats {
  std::atomic<std::uint64_t> active{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> packets_in{0};
  std::atomic<std::uint64_t> packets_out{0};
  std::atomic<std::uint64_t> messages_in{0};   // PUBLISH packets received
  std::atomic<std::uint64_t> messages_out{0};  // PUBLISH packets sent
  std::atomic<std::uint64_t> protocol_errors{0};
  // By QoS (index 0, 1, 2): PUBLISH packets and their payload bytes.
  std::array<std::atomic<std::uint64_t>, 3> messages_in_by_qos{};
  std::array<std::atomic<std::uint64_t>, 3> messages_out_by_qos{};
  std::array<std::atomic<std::uint64_t>, 3> payload_bytes_in_by_qos{};
  std::array<std::atomic<std::uint64_t>, 3> payload_bytes_out_by_qos{};
  // Connections closed before a session began, by why.
  std::atomic<std::uint64_t> refused_limit{0};     // over limits.max_connections
  std::atomic<std::uint64_t> refused_protocol{0};  // malformed or unsupported first packets
  std::atomic<std::uint64_t> refused_timeout{0};   // no CONNECT within limits.connect_timeout
  std::atomic<std::uint64_t> refused_connack{0};   // CONNECT answered with a CONNACK error
  std::atomic<std::uint64_t> refused_login{0};     // of which by authentication (0x86, 0x87, 0x9F)
  // Requests the ACL refused (issue 8).
  std::atomic<std::uint64_t> denied_publish{0};    // PUBLISH, and wills at CONNECT
  std::atomic<std::uint64_t> denied_subscribe{0};  // SUBSCRIBE filters
  // TLS and WebSocket handshakes that failed (the client's certificate or
  // ours refused, a bad upgrade request) or did not end in time.
  std::atomic<std::uint64_t> handshake_failed_tls{0};
  std::atomic<std::uint64_t> handshake_failed_websocket{0};
  std::atomic<std::uint64_t> handshake_timeout{0};
  // Deliveries dropped unsent (session::DropReason).
  std::atomic<std::uint64_t> dropped_expired{0};
  std::atomic<std::uint64_t> dropped_too_large{0};
  std::atomic<std::uint64_t> dropped_not_authorized{0};  // the ACL refuses its topic to the reader
  // Numbers connections over every listener; names assigned client identifiers.
  std::atomic<std::uint64_t> next_connection_number{1};
};

class Connection final : public broker::SessionOwner,
                         public Deadlined,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(Transport transport, broker::Broker& broker, const ConnectionSettings& settings,
             ConnectionStats& stats, std::uint64_t connection_number);
  ~Connection() override;

  // REQUIRES: called on the connection's own io_context thread.
  void start();
  boost::asio::any_io_executor executor() { return transport_.executor(); }

  // The client certificate's subject CN (or first DNS/email/URI SAN) on a
  // listener with use_identity_as_username, after the TLS handshake.
  const std::optional<std::string>& tls_identity() const { return transport_.identity(); }

  // broker::SessionOwner: called from any thread.
  void deliveries_ready() override;
  void kick(mqtt::ReasonCode reason) override;

  // Deadlined: called by this thread's DeadlineSweeper.
  bool check_deadlines(std::chrono::steady_clock::time_point now) override;

 private:
  void on_handshake(HandshakeFailure failure, const std::string& why);
  void do_read();
  void on_readable(const boost::system::error_code& ec);
  // TLS and WebSocket: bytes read into the transport's buffer.
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  void decode(std::span<const std::uint8_t> input);
  void do_write();
  void on_write(const boost::system::error_code& ec, std::size_t bytes);

  // Runs `call(machine, actions)` with the session's lock held when a session
  // is attached, then carries out the actions.
  template <class Call>
  void drive(Call&& call);
  void execute(session::Actions& actions);
  void execute_one(session::Action& action);
  // Posts a broker completion back onto this connection's thread.
  template <class F>
  void post_back(F&& f);
  broker::Broker::Done on_done(session::Token token);
  template <class Result, class OnSuccess>
  std::function<void(Result, std::error_code)> completion(session::Token token,
                                                          OnSuccess on_success);

  void pump();
  void close_now();
  bool owns_session() const;
  bool running_on_own_thread();
  // A PUBLISH went out: the counters by QoS.
  void count_sent(model::QoS qos, std::size_t payload_bytes);
  void log_refusals(const mqtt::Packet& packet) const;  // REQUIRES: session_->mutex held
  void pause_reading();
  // Authentication: checks the CONNECT's credentials (on the login pool when
  // the hash is slow) and hands the answer to the machine.
  void authenticate(session::Authenticate&& request);
  void finish_login(const auth::LoginResult& result, const std::optional<std::string>& username);
  void note_denied(const session::AccessDenied& denied);
  void flush_delivered();

  Transport transport_;
  broker::Broker& broker_;
  const ConnectionSettings& settings_;
  ConnectionStats& stats_;
  mqtt::FrameDecoder decoder_;
  session::SessionMachine machine_;
  std::shared_ptr<broker::Session> session_;
  std::uint64_t generation_ = 0;

  std::vector<std::uint8_t> output_;   // encoded, waiting for the socket
  std::vector<std::uint8_t> writing_;  // handed to async_write
  bool write_in_progress_ = false;
  bool reading_ = false;
  // Armed only while reading is paused for a congested store.
  std::unique_ptr<boost::asio::steady_timer> pause_timer_;
  bool close_after_write_ = false;
  bool closed_ = false;
  std::atomic<bool> pump_posted_{false};
  // Set while the broker is called from this thread: a completion it gives
  // before returning goes to completed_now_ instead of being posted.
  bool in_broker_call_ = false;
  std::vector<session::Token> completed_now_;
  // Sequences of deliveries the client acknowledged, not yet sent to the
  // store: flushed after each read, or after each drive outside one.
  std::vector<std::uint64_t> delivered_;
  bool decoding_ = false;

  bool handshaking_ = false;   // the handshake timeout applies until it ends
  bool connack_sent_ = false;  // the CONNECT timeout applies until then
  std::uint16_t keep_alive_seconds_ = 0;
  std::chrono::steady_clock::time_point accepted_at_;
  std::chrono::steady_clock::time_point last_read_;
  std::string peer_;           // "address:port", for log lines
  std::string peer_address_;   // the address alone: failed logins are counted per address
  std::uint32_t denials_ = 0;  // ACL refusals on this connection, to thin their log lines
};

}  // namespace cairn::net
