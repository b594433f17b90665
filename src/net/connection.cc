#include "net/connection.h"

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "base/check.h"
#include "mqtt/packet_encoder.h"
#include "mqtt/packet_type.h"
#include "mqtt/reason_code.h"
#include "net/deadline_sweeper.h"

namespace cairn::net {
namespace {

namespace asio = boost::asio;
using session::Actions;
using session::SessionMachine;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kChunksPerTurn = 4;
constexpr std::chrono::milliseconds kPauseRetry{2};
// Past this, an emptied output buffer is released: one burst must not pin
// memory for the connection's life (idle connections should cost little).
constexpr std::size_t kRetainedOutputCapacity = 64 * 1024;

model::WallTime wall_now() { return std::chrono::system_clock::now(); }

}  // namespace

Connection::Connection(Transport transport, broker::Broker& broker,
                       const ConnectionSettings& settings, ConnectionStats& stats,
                       std::uint64_t connection_number)
    : transport_(std::move(transport)),
      broker_(broker),
      settings_(settings),
      stats_(stats),
      decoder_(mqtt::ProtocolVersion::kV311, settings.limits.maximum_packet_size),
      machine_(settings.limits, connection_number),
      accepted_at_(std::chrono::steady_clock::now()),
      last_read_(accepted_at_) {
  ++stats_.active;
  ++stats_.accepted;
  boost::system::error_code ec;
  asio::ip::tcp::socket& socket = transport_.socket();
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  if (transport_.plain()) socket.non_blocking(true, ec);  // on_readable reads until would_block
  const auto endpoint = socket.remote_endpoint(ec);
  if (!ec) {
    peer_address_ = endpoint.address().to_string();
    peer_ = peer_address_ + ":" + std::to_string(endpoint.port());
  }
}

Connection::~Connection() { --stats_.active; }

void Connection::start() {
  // [MQTT-3.1.4-?]: a connection that does not complete CONNECT in time is
  // closed, so half-open sockets cannot pile up; the thread's sweeper checks.
  last_read_ = std::chrono::steady_clock::now();
  DeadlineSweeper* sweeper = DeadlineSweeper::current();
  CAIRN_CHECK(sweeper != nullptr, "a connection starts on a network thread");
  sweeper->add(weak_from_this());
  if (transport_.plain()) return do_read();
  // TLS and WebSocket first; the sweeper closes a handshake that outlives
  // the listener's handshake_timeout.
  handshaking_ = true;
  transport_.async_handshake(
      [self = shared_from_this()](HandshakeFailure failure, const std::string& why) {
        self->on_handshake(failure, why);
      });
}

void Connection::on_handshake(HandshakeFailure failure, const std::string& why) {
  if (closed_) return;  // timed out: counted and logged then
  handshaking_ = false;
  if (!why.empty()) {
    ++(failure == HandshakeFailure::kTls ? stats_.handshake_failed_tls
                                         : stats_.handshake_failed_websocket);
    spdlog::info("{} closing: {} handshake failed ({}): {}", peer_,
                 failure == HandshakeFailure::kTls ? "TLS" : "WebSocket", transport_.listener_key(),
                 why);
    return close_now();
  }
  if (const auto& identity = transport_.identity()) {
    spdlog::debug("{} TLS client certificate identity '{}'", peer_, *identity);
  }
  // The CONNECT timeout counts from here: the handshake had its own.
  accepted_at_ = std::chrono::steady_clock::now();
  last_read_ = accepted_at_;
  do_read();
}

// --- reading -----------------------------------------------------------------

// An idle connection holds no read buffer: it waits for the socket to become
// readable, then reads into its thread's buffer until the socket has nothing
// more, and the decoder keeps only the bytes of an incomplete packet. Large
// reads also mean many packets per system call under load.
void Connection::do_read() {
  if (closed_ || close_after_write_ || reading_) return;
  reading_ = true;
  if (!transport_.plain()) {
    // TLS and WebSocket hold bytes of their own (a decrypted record, a frame
    // header), so readiness of the socket says nothing: read into the
    // connection's buffer instead.
    std::vector<std::uint8_t>& buffer = transport_.read_buffer();
    transport_.async_read_some(
        asio::buffer(buffer),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t bytes) {
          self->on_read(ec, bytes);
        });
    return;
  }
  transport_.socket().async_wait(
      asio::ip::tcp::socket::wait_read,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->on_readable(ec); });
}

void Connection::on_readable(const boost::system::error_code& ec) {
  reading_ = false;
  if (closed_) return;
  if (ec) return close_now();
  if (broker_.store_congested()) return pause_reading();
  // One buffer per network thread: a connection's handlers all run on its
  // thread and the bytes are consumed before the handler returns.
  thread_local std::vector<std::uint8_t> buffer(kReadChunk);
  // At most a few chunks per turn, so one busy client cannot starve the
  // others on its thread; the rest is read on the next turn.
  for (int chunk = 0; chunk < kChunksPerTurn; ++chunk) {
    boost::system::error_code read_ec;
    const std::size_t bytes = transport_.socket().read_some(asio::buffer(buffer), read_ec);
    if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) {
      return do_read();  // drained: wait for the next bytes
    }
    if (read_ec) return close_now();  // end of stream or a socket error
    stats_.bytes_in += bytes;
    last_read_ = std::chrono::steady_clock::now();
    decode(std::span<const std::uint8_t>(buffer.data(), bytes));
    if (closed_ || close_after_write_) return;
  }
  // Not drained yet: continue after the other connections had their turn.
  reading_ = true;
  asio::post(transport_.executor(),
             [self = shared_from_this()] { self->on_readable(boost::system::error_code{}); });
}

void Connection::on_read(const boost::system::error_code& ec, std::size_t bytes) {
  reading_ = false;
  if (closed_) return;
  if (ec) return close_now();  // end of stream, a TLS or WebSocket error, a close frame
  stats_.bytes_in += bytes;
  last_read_ = std::chrono::steady_clock::now();
  decode(std::span<const std::uint8_t>(transport_.read_buffer().data(), bytes));
  if (closed_ || close_after_write_) return;
  if (broker_.store_congested()) return pause_reading();
  do_read();
}

// The store's commit queue is over its bound: what this client sends stays
// in the socket buffers, and TCP flow control slows the client down, until
// the committer catches up (DESIGN.md §4). Checked again every few
// milliseconds; the timer exists only while some connection is paused.
void Connection::pause_reading() {
  reading_ = true;
  // Not reading is the broker's choice, not the client's silence.
  last_read_ = std::chrono::steady_clock::now();
  if (!pause_timer_) pause_timer_ = std::make_unique<asio::steady_timer>(transport_.executor());
  pause_timer_->expires_after(kPauseRetry);
  pause_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) {
      self->reading_ = false;
      return;
    }
    if (!self->transport_.plain()) {
      if (self->broker_.store_congested()) return self->pause_reading();
      self->reading_ = false;
      return self->do_read();
    }
    self->on_readable(boost::system::error_code{});
  });
}

void Connection::decode(std::span<const std::uint8_t> input) {
  // One clock read for the packets of one read: they arrived together.
  const model::WallTime now = wall_now();
  decoding_ = true;
  for (;;) {
    mqtt::DecodeResult result = decoder_.next_from(input);
    if (std::holds_alternative<mqtt::NeedMore>(result)) break;
    if (auto* error = std::get_if<mqtt::DecodeError>(&result)) {
      ++stats_.protocol_errors;
      if (!connack_sent_) ++stats_.refused_protocol;
      drive([&](SessionMachine& m, Actions& a) { m.on_decode_error(*error, a); });
      break;
    }
    ++stats_.packets_in;
    if (const auto* p = std::get_if<mqtt::Publish>(&std::get<mqtt::Packet>(result))) {
      ++stats_.messages_in;
      const auto qos = static_cast<std::size_t>(p->qos);
      stats_.messages_in_by_qos[qos].fetch_add(1, std::memory_order_relaxed);
      stats_.payload_bytes_in_by_qos[qos].fetch_add(p->payload.size(), std::memory_order_relaxed);
    }
    drive([&](SessionMachine& m, Actions& a) {
      m.on_packet(std::move(std::get<mqtt::Packet>(result)), now, a);
    });
    if (closed_ || close_after_write_) break;
  }
  decoding_ = false;
  flush_delivered();
}

// The acknowledgements of one read go to the store as one batch: a read
// carries dozens of PUBACKs under load, and a batch each would cost the
// committer a batch each (D3 only needs them removed, nothing waits on it).
void Connection::flush_delivered() {
  if (delivered_.empty() || !session_) return;
  broker_.deliveries_done(session_, delivered_);
  delivered_.clear();
}

// --- driving the machine -------------------------------------------------------

bool Connection::owns_session() const {
  return session_->generation == generation_ && !session_->ended;
}

namespace {

// Actions vectors reused across drives on a thread: a drive per packet would
// otherwise allocate one. drive() nests (an action may drive the machine
// again), so the pool is a stack.
thread_local std::vector<Actions> actions_pool;

Actions take_actions() {
  if (actions_pool.empty()) return {};
  Actions actions = std::move(actions_pool.back());
  actions_pool.pop_back();
  return actions;
}

void give_back(Actions&& actions) {
  constexpr std::size_t kPooled = 16;
  constexpr std::size_t kLargestKept = 256;
  if (actions_pool.size() >= kPooled || actions.capacity() > kLargestKept) return;
  actions.clear();
  actions_pool.push_back(std::move(actions));
}

}  // namespace

template <class Call>
void Connection::drive(Call&& call) {
  Actions actions = take_actions();
  bool page_in = false;
  // What pump() may encode into the output buffer (backpressure, D7).
  machine_.set_output_room(output_.size() >= settings_.max_output_bytes
                               ? 0
                               : settings_.max_output_bytes - output_.size());
  if (session_) {
    std::unique_lock lock(session_->mutex);
    if (!owns_session()) {
      // Taken over: the session is another connection's now. The kick that
      // says so is on its way; stop touching the session meanwhile.
      lock.unlock();
      return close_now();
    }
    call(machine_, actions);
    // The queue in memory ran low and more waits on disk (D7).
    page_in = broker_.wants_page_in(*session_);
  } else {
    call(machine_, actions);
  }
  if (page_in) broker_.page_in(session_);
  execute(actions);
  give_back(std::move(actions));
}

bool Connection::running_on_own_thread() {
  return transport_.executor().target<asio::io_context::executor_type>()->running_in_this_thread();
}

template <class F>
void Connection::post_back(F&& f) {
  asio::post(transport_.executor(), std::forward<F>(f));
}

void Connection::execute(Actions& actions) {
  for (session::Action& action : actions) execute_one(action);
  // Completions the broker gave while being called (nothing to commit): told
  // to the machine now, as a posted completion would be, minus the trip
  // through the io_context.
  while (!completed_now_.empty()) {
    const session::Token token = completed_now_.front();
    completed_now_.erase(completed_now_.begin());
    drive([&](SessionMachine& m, Actions& next) { m.on_committed(token, wall_now(), next); });
  }
  if (!decoding_) flush_delivered();
  if (!output_.empty()) do_write();
  if (close_after_write_ && output_.empty() && !write_in_progress_) close_now();
}

// A request the client keeps its connection after being refused (a PUBLISH
// answered with a failure reason code, a topic filter refused in a SUBACK)
// gets a log line too, as every refusal and limit hit does.
void Connection::count_sent(model::QoS qos, std::size_t payload_bytes) {
  ++stats_.messages_out;
  const auto q = static_cast<std::size_t>(qos);
  stats_.messages_out_by_qos[q].fetch_add(1, std::memory_order_relaxed);
  stats_.payload_bytes_out_by_qos[q].fetch_add(payload_bytes, std::memory_order_relaxed);
}

void Connection::log_refusals(const mqtt::Packet& packet) const {
  auto refused = [&](const char* what, std::uint16_t packet_id, mqtt::ReasonCode reason) {
    spdlog::info("{} client '{}': {} refused (packet id {}, reason 0x{:02X} {})", peer_,
                 machine_.client_id(), what, packet_id, static_cast<unsigned>(reason),
                 mqtt::reason_code_name(reason, mqtt::packet_type(packet)));
  };
  if (const auto* puback = std::get_if<mqtt::Puback>(&packet)) {
    if (mqtt::is_failure(puback->reason_code)) {
      refused("PUBLISH", puback->packet_id, puback->reason_code);
    }
  } else if (const auto* pubrec = std::get_if<mqtt::Pubrec>(&packet)) {
    if (mqtt::is_failure(pubrec->reason_code)) {
      refused("PUBLISH", pubrec->packet_id, pubrec->reason_code);
    }
  } else if (const auto* suback = std::get_if<mqtt::Suback>(&packet)) {
    for (mqtt::ReasonCode code : suback->reason_codes) {
      if (mqtt::is_failure(code)) refused("SUBSCRIBE filter", suback->packet_id, code);
    }
  }
}

// A broker completion, brought back to this connection's thread (D5: the
// machine is only ever driven there) and handed to the machine; a failed
// commit goes to on_commit_failed whatever the operation was.
broker::Broker::Done Connection::on_done(session::Token token) {
  return [self = shared_from_this(), token](std::error_code ec) {
    // The thread test comes first: in_broker_call_ belongs to this
    // connection's thread, and a store thread must not read it.
    if (!ec && self->running_on_own_thread() && self->in_broker_call_) {
      self->completed_now_.push_back(token);
      return;
    }
    self->post_back([self, token, ec] {
      self->drive([&](SessionMachine& m, Actions& next) {
        if (ec) {
          m.on_commit_failed(token, next, broker::refusal_reason(ec), broker::refusal_why(ec));
        } else {
          m.on_committed(token, wall_now(), next);
        }
      });
    });
  };
}

// The same for a completion carrying a result (SUBACK and UNSUBACK codes).
template <class Result, class OnSuccess>
std::function<void(Result, std::error_code)> Connection::completion(session::Token token,
                                                                    OnSuccess on_success) {
  return [self = shared_from_this(), token, on_success](Result result, std::error_code ec) {
    self->post_back([self, token, ec, on_success, result = std::move(result)] {
      self->drive([&](SessionMachine& m, Actions& next) {
        if (ec) {
          m.on_commit_failed(token, next, broker::refusal_reason(ec), broker::refusal_why(ec));
        } else {
          on_success(m, token, result, next);
        }
      });
    });
  };
}

void Connection::execute_one(session::Action& action) {
  std::visit(
      [&](auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, session::SendPublish>) {
          mqtt::encode_publish(a.view(), machine_.version(), output_);
          ++stats_.packets_out;
          count_sent(a.qos, a.message->payload.size());
        } else if constexpr (std::is_same_v<A, session::SendPacket>) {
          mqtt::encode_packet(a.packet, machine_.version(), output_);
          ++stats_.packets_out;
          if (const auto* p = std::get_if<mqtt::Publish>(&a.packet)) {
            count_sent(p->qos, p->payload.size());
          }
          if (const auto* c = std::get_if<mqtt::Connack>(&a.packet)) {
            if (mqtt::is_failure(c->reason_code)) ++stats_.refused_connack;
          }
          log_refusals(a.packet);
        } else if constexpr (std::is_same_v<A, session::CloseConnection>) {
          close_after_write_ = true;
          // Every refusal and limit hit ends here: one line with who, why
          // and the reason code the client was given.
          const auto level = a.reason == mqtt::ReasonCode::kNormalDisconnection
                                 ? spdlog::level::debug
                                 : spdlog::level::info;
          spdlog::log(level, "{} client '{}': closing: {} (reason 0x{:02X})", peer_,
                      machine_.client_id(), a.why, static_cast<unsigned>(a.reason));
        } else if constexpr (std::is_same_v<A, session::Authenticate>) {
          authenticate(std::move(a));
        } else if constexpr (std::is_same_v<A, session::AccessDenied>) {
          note_denied(a);
        } else if constexpr (std::is_same_v<A, session::AttachSession>) {
          const model::WallTime now = wall_now();
          broker::Broker::Attachment attachment = broker_.attach(a, weak_from_this(), now);
          session_ = attachment.session;
          generation_ = attachment.generation;
          drive([&](SessionMachine& m, Actions& next) {
            m.on_attached(session_->state, attachment.session_present, now, next,
                          attachment.discarded_stored);
          });
        } else if constexpr (std::is_same_v<A, session::RoutePublish>) {
          in_broker_call_ = true;
          broker_.route(session_, a, a.token == 0 ? broker::Broker::Done{} : on_done(a.token));
          in_broker_call_ = false;
        } else if constexpr (std::is_same_v<A, session::ReleaseIncoming>) {
          broker_.release_incoming(session_, a, on_done(a.token));
        } else if constexpr (std::is_same_v<A, session::AwaitStore>) {
          broker_.await_store(on_done(a.token));
        } else if constexpr (std::is_same_v<A, session::RecordSent>) {
          // The identifier may be one an acknowledgement of this read just
          // freed: that removal goes to the store first (the store also
          // finishes an earlier holder itself, storage/FORMAT.md).
          flush_delivered();
          broker_.record_sent(session_, a, on_done(a.token));
        } else if constexpr (std::is_same_v<A, session::RecordPubrel>) {
          broker_.record_pubrel(session_, a, on_done(a.token));
        } else if constexpr (std::is_same_v<A, session::StoreSession>) {
          broker_.store_session(session_, a, on_done(a.token));
        } else if constexpr (std::is_same_v<A, session::ApplySubscribe>) {
          broker_.subscribe(session_, a,
                            completion<std::vector<session::SubscribeResult>>(
                                a.token, [](SessionMachine& m, session::Token token,
                                            const auto& results, Actions& next) {
                                  m.on_subscribed(token, results, wall_now(), next);
                                }));
        } else if constexpr (std::is_same_v<A, session::ApplyUnsubscribe>) {
          broker_.unsubscribe(
              session_, a,
              completion<std::vector<bool>>(
                  a.token, [](SessionMachine& m, session::Token token, const auto& existed,
                              Actions& next) { m.on_unsubscribed(token, existed, next); }));
        } else if constexpr (std::is_same_v<A, session::SendRetained>) {
          broker_.send_retained(session_, a, wall_now());
        } else if constexpr (std::is_same_v<A, session::DeliveryDone>) {
          if (a.sequence != 0) delivered_.push_back(a.sequence);
          if (a.dropped == session::DropReason::kExpired) ++stats_.dropped_expired;
          if (a.dropped == session::DropReason::kTooLarge) ++stats_.dropped_too_large;
          if (a.dropped == session::DropReason::kNotAuthorized) ++stats_.dropped_not_authorized;
        } else if constexpr (std::is_same_v<A, session::SetKeepAlive>) {
          connack_sent_ = true;  // the CONNECT timeout is over
          keep_alive_seconds_ = a.seconds;
        } else if constexpr (std::is_same_v<A, session::ScheduleWill>) {
          broker_.schedule_will(session_, generation_, a, wall_now());
        } else if constexpr (std::is_same_v<A, session::DetachSession>) {
          broker_.detach(session_, generation_, a, wall_now());
        }
      },
      action);
}

// --- authentication and authorization ---------------------------------------------

void Connection::authenticate(session::Authenticate&& request) {
  const auth::AccessControl* control = settings_.access_control;
  // On a listener with use_identity_as_username the handshake verified a
  // client certificate, whose identity is the user name.
  const std::optional<std::string>& identity = transport_.identity();
  if (control == nullptr) {
    auth::LoginResult accepted;
    accepted.username = identity ? identity : request.username;
    return finish_login(accepted, request.username);
  }
  // Asked before `request` moves into the check below.
  const bool slow = settings_.login_pool != nullptr && !identity &&
                    control->login_rounds(request.username) > kInlineLoginRounds;
  auto check = [control, request = std::move(request), source = peer_address_, identity] {
    auth::LoginRequest login;
    if (request.username) login.username = *request.username;
    if (request.password) login.password = *request.password;
    if (identity) login.certificate_identity = *identity;
    login.source_address = source;
    auth::LoginResult result = control->login(login);
    return std::make_pair(std::move(result), request.username);
  };
  if (slow) {
    asio::post(*settings_.login_pool, [self = shared_from_this(), check = std::move(check)] {
      auto [result, username] = check();
      self->post_back([self, result = std::move(result), username = std::move(username)] {
        self->finish_login(result, username);
      });
    });
    return;
  }
  const auto [result, username] = check();
  finish_login(result, username);
}

void Connection::finish_login(const auth::LoginResult& result,
                              const std::optional<std::string>& username) {
  session::AuthResult answer;
  answer.why = result.why;
  switch (result.outcome) {
    case auth::LoginOutcome::kAccepted:
      answer.username = result.username;
      break;
    case auth::LoginOutcome::kBadCredentials:
      answer.reason = mqtt::ReasonCode::kBadUserNameOrPassword;
      break;
    case auth::LoginOutcome::kNotAuthorized:
      answer.reason = mqtt::ReasonCode::kNotAuthorized;
      break;
    case auth::LoginOutcome::kThrottled:
      answer.reason = mqtt::ReasonCode::kConnectionRateExceeded;
      break;
  }
  if (answer.reason != mqtt::ReasonCode::kSuccess) {
    ++stats_.refused_login;
    spdlog::info(
        "{} client '{}': login refused for {}: {}", peer_, machine_.client_id(),
        username ? fmt::format("user '{}'", *username) : std::string("an anonymous client"),
        result.why);
  }
  drive([&](SessionMachine& m, Actions& a) { m.on_authenticated(std::move(answer), a); });
}

void Connection::note_denied(const session::AccessDenied& denied) {
  if (denied.access == model::TopicAccess::kSubscribe) {
    ++stats_.denied_subscribe;
  } else {
    ++stats_.denied_publish;
  }
  // A client retrying a denied publish in a loop must not flood the log:
  // lines at the 1st, 2nd, 4th, 8th... refusal of a connection.
  const std::uint32_t n = ++denials_;
  if ((n & (n - 1)) != 0) return;
  const auto& user = machine_.username();
  spdlog::info("{} client '{}'{}: not authorized to {} '{}' ({} refusal(s) on this connection)",
               peer_, machine_.client_id(), user ? fmt::format(" user '{}'", *user) : std::string(),
               denied.access == model::TopicAccess::kSubscribe ? "subscribe to" : "publish to",
               denied.topic, n);
}

// --- delivery and backpressure ---------------------------------------------------

void Connection::deliveries_ready() {
  if (pump_posted_.exchange(true)) return;  // one pump per burst
  post_back([self = shared_from_this()] {
    self->pump_posted_ = false;
    self->pump();
  });
}

void Connection::pump() {
  if (closed_ || !session_) return;
  if (output_.size() >= settings_.max_output_bytes) return;  // resumed by on_write
  drive([&](SessionMachine& m, Actions& a) { m.pump(wall_now(), a); });
}

void Connection::kick(mqtt::ReasonCode reason) {
  post_back([self = shared_from_this(), reason] {
    if (self->closed_) return;
    Actions actions;
    self->machine_.on_kicked(reason, actions);  // touches no session state
    self->execute(actions);
  });
}

// --- writing ---------------------------------------------------------------------

void Connection::do_write() {
  if (write_in_progress_ || output_.empty() || closed_) return;
  writing_.swap(output_);
  output_.clear();
  write_in_progress_ = true;
  transport_.async_write(
      asio::buffer(writing_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t bytes) {
        self->on_write(ec, bytes);
      });
}

void Connection::on_write(const boost::system::error_code& ec, std::size_t bytes) {
  write_in_progress_ = false;
  if (closed_) return;
  if (ec) return close_now();
  stats_.bytes_out += bytes;
  writing_.clear();
  if (writing_.capacity() > kRetainedOutputCapacity) std::vector<std::uint8_t>().swap(writing_);
  if (!output_.empty()) return do_write();
  if (close_after_write_) return close_now();
  pump();
}

// --- timers and closing ------------------------------------------------------------

bool Connection::check_deadlines(std::chrono::steady_clock::time_point now) {
  if (closed_) return false;
  if (handshaking_) {
    if (now - accepted_at_ >= transport_.handshake_timeout()) {
      spdlog::info("{} closing: handshake not completed within {} s ({}.handshake_timeout)", peer_,
                   transport_.handshake_timeout().count(), transport_.listener_key());
      ++stats_.handshake_timeout;
      close_now();
    }
    return !closed_;
  }
  if (!connack_sent_) {
    // Measured from the accept, not from the last byte: a client dripping
    // its CONNECT a byte at a time is closed too, and so is a CONNECT whose
    // session never gets attached.
    if (now - accepted_at_ >= settings_.connect_timeout) {
      spdlog::info("{} closing: no CONNECT completed within {} s (limits.connect_timeout)", peer_,
                   settings_.connect_timeout.count());
      ++stats_.refused_timeout;
      close_now();
    }
    return !closed_;
  }
  if (keep_alive_seconds_ == 0) return true;
  // [MQTT-3.1.2-22]: one and a half keep-alive periods without a packet.
  if (now - last_read_ < std::chrono::milliseconds(keep_alive_seconds_ * 1500)) return true;
  if (close_after_write_) {
    close_now();  // the DISCONNECT of the last sweep could not be written
    return false;
  }
  Actions actions;
  machine_.on_keep_alive_timeout(actions);
  execute(actions);
  return !closed_;
}

void Connection::close_now() {
  if (closed_) return;
  closed_ = true;
  // The session is detached (ended, when it does not outlive its connection)
  // before the socket closes: a client that reconnects as soon as it sees the
  // close must find it gone, whichever thread its new connection lands on
  // [MQTT-3.1.2-6] (3.1.1), §3.1.2.11.2 (5.0).
  Actions actions;
  if (session_) {
    std::lock_guard lock(session_->mutex);
    machine_.on_connection_closed(actions, /*session_taken=*/!owns_session());
  } else {
    machine_.on_connection_closed(actions);
  }
  for (session::Action& action : actions) execute_one(action);
  flush_delivered();
  session_.reset();
  if (pause_timer_) pause_timer_->cancel();
  transport_.close();
}

}  // namespace cairn::net
