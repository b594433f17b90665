// BrokerClient: one client connection to a real broker::Broker, driven the way
// net::Connection drives it (a SessionMachine under its session's lock, its
// actions carried out against the broker) but on the test's thread and with
// no socket, so a test sees what a client would see.
//
// A completion the broker hands back is queued, as Connection posts it to
// its executor, and run by step(). `log` keeps every action the machine
// produced, in order; the packets helpers read what the client received.
//
// BrokerWorld: a broker on a ManualStore with such clients, one clock, and
// settle() to let the disk and the network go idle; restart() crashes it and
// restores a new one from what was committed.
//
// Header-only, test-only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "broker/broker.h"
#include "model/message.h"
#include "mqtt/packet.h"
#include "session/actions.h"
#include "session/limits.h"
#include "session/session_machine.h"
#include "storage/batch.h"
#include "storage/in_memory_store.h"
#include "storage/leveldb_store.h"
#include "storage/stored_state.h"
#include "support/manual_store.h"
#include "support/power_loss_env.h"
#include "support/session_harness.h"
#include "support/temp_dir.h"

namespace cairn::test {

class BrokerClient {
 public:
  // `now` is read at every event: the test moves one clock for every client.
  BrokerClient(broker::Broker& broker, const model::WallTime& now,
               session::SessionLimits limits = {})
      : broker_(broker), now_(now), limits_(std::move(limits)), machine_(limits_, 1) {}
  BrokerClient(const BrokerClient&) = delete;
  BrokerClient& operator=(const BrokerClient&) = delete;

  // --- what the client does ---
  void send(mqtt::Packet packet) {
    drive([&](session::SessionMachine& m, session::Actions& out) {
      m.on_packet(std::move(packet), now_, out);
    });
  }
  // The network connection is lost (no DISCONNECT): the will is scheduled.
  void drop() { close_now(); }

  // Does one piece of pending work: a kick, a completion, or a pump the
  // broker asked for. False when there was none.
  bool step() {
    if (!owner_->kicks_pending.empty()) {
      const mqtt::ReasonCode reason = owner_->kicks_pending.front();
      owner_->kicks_pending.pop_front();
      if (closed_) return true;
      session::Actions actions;
      machine_.on_kicked(reason, actions);  // touches no session state
      execute(actions);
      return true;
    }
    if (!completions_.empty()) {
      std::function<void()> completion = std::move(completions_.front());
      completions_.pop_front();
      completion();
      return true;
    }
    if (owner_->ready) {
      owner_->ready = false;
      if (!closed_ && session_) {
        drive([&](session::SessionMachine& m, session::Actions& out) { m.pump(now_, out); });
      }
      return true;
    }
    return false;
  }

  // --- what the client received ---
  session::Actions log;  // every action since forget(), in order
  void forget() { log.clear(); }
  std::vector<mqtt::Packet> packets() const { return test::packets(log); }
  template <class P>
  std::vector<P> received() const {
    return test::sent<P>(log);
  }
  template <class A>
  std::vector<A> actions() const {
    return test::only<A>(log);
  }
  std::string describe() const { return test::describe(log); }

  bool closed() const { return closed_; }
  const std::shared_ptr<broker::Session>& session() const { return session_; }
  const std::vector<mqtt::ReasonCode>& kicks() const { return owner_->kicks; }

 private:
  struct Owner : broker::SessionOwner {
    void deliveries_ready() override { ready = true; }
    void kick(mqtt::ReasonCode reason) override {
      kicks.push_back(reason);
      kicks_pending.push_back(reason);
    }
    bool ready = false;
    std::vector<mqtt::ReasonCode> kicks;
    std::deque<mqtt::ReasonCode> kicks_pending;
  };

  template <class Call>
  void drive(Call&& call) {
    session::Actions actions;
    bool page_in = false;
    if (session_) {
      std::unique_lock lock(session_->mutex);
      if (session_->generation != generation_ || session_->ended) {
        lock.unlock();  // taken over: the kick is on its way
        return close_now();
      }
      call(machine_, actions);
      page_in = broker_.wants_page_in(*session_);
    } else {
      call(machine_, actions);
    }
    if (page_in) broker_.page_in(session_);
    execute(actions);
  }

  void execute(session::Actions& actions) {
    for (session::Action& action : actions) {
      log.push_back(action);
      execute_one(action);
    }
    if (close_requested_) close_now();
  }

  // A broker completion, queued as Connection posts it back to its thread.
  broker::Broker::Done on_done(session::Token token) {
    return [this, token](std::error_code ec) {
      completions_.push_back([this, token, ec] {
        drive([&](session::SessionMachine& m, session::Actions& out) {
          if (ec) {
            m.on_commit_failed(token, out, broker::refusal_reason(ec), broker::refusal_why(ec));
          } else {
            m.on_committed(token, now_, out);
          }
        });
      });
    };
  }

  void execute_one(session::Action& action) {
    std::visit(
        [&](auto& a) {
          using A = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<A, session::CloseConnection>) {
            close_requested_ = true;
          } else if constexpr (std::is_same_v<A, session::Authenticate>) {
            // As a Connection with no authentication configured: accepted.
            session::AuthResult accepted;
            accepted.username = a.username;
            drive([&](session::SessionMachine& m, session::Actions& out) {
              m.on_authenticated(std::move(accepted), out);
            });
          } else if constexpr (std::is_same_v<A, session::AttachSession>) {
            broker::Broker::Attachment attachment = broker_.attach(a, owner_, now_);
            session_ = attachment.session;
            generation_ = attachment.generation;
            drive([&](session::SessionMachine& m, session::Actions& out) {
              m.on_attached(session_->state, attachment.session_present, now_, out,
                            attachment.discarded_stored);
            });
          } else if constexpr (std::is_same_v<A, session::RoutePublish>) {
            broker_.route(session_, a, a.token == 0 ? broker::Broker::Done{} : on_done(a.token));
          } else if constexpr (std::is_same_v<A, session::ReleaseIncoming>) {
            broker_.release_incoming(session_, a, on_done(a.token));
          } else if constexpr (std::is_same_v<A, session::AwaitStore>) {
            broker_.await_store(on_done(a.token));
          } else if constexpr (std::is_same_v<A, session::RecordSent>) {
            broker_.record_sent(session_, a, on_done(a.token));
          } else if constexpr (std::is_same_v<A, session::RecordPubrel>) {
            broker_.record_pubrel(session_, a, on_done(a.token));
          } else if constexpr (std::is_same_v<A, session::StoreSession>) {
            broker_.store_session(session_, a, on_done(a.token));
          } else if constexpr (std::is_same_v<A, session::ApplySubscribe>) {
            broker_.subscribe(session_, a,
                              [this, token = a.token](std::vector<session::SubscribeResult> results,
                                                      std::error_code ec) {
                                completions_.push_back([this, token, ec, results] {
                                  drive([&](session::SessionMachine& m, session::Actions& out) {
                                    if (ec) return m.on_commit_failed(token, out);
                                    m.on_subscribed(token, results, now_, out);
                                  });
                                });
                              });
          } else if constexpr (std::is_same_v<A, session::ApplyUnsubscribe>) {
            broker_.unsubscribe(
                session_, a,
                [this, token = a.token](std::vector<bool> existed, std::error_code ec) {
                  completions_.push_back([this, token, ec, existed] {
                    drive([&](session::SessionMachine& m, session::Actions& out) {
                      if (ec) return m.on_commit_failed(token, out);
                      m.on_unsubscribed(token, existed, out);
                    });
                  });
                });
          } else if constexpr (std::is_same_v<A, session::SendRetained>) {
            broker_.send_retained(session_, a, now_);
          } else if constexpr (std::is_same_v<A, session::DeliveryDone>) {
            broker_.delivery_done(session_, a);
          } else if constexpr (std::is_same_v<A, session::ScheduleWill>) {
            broker_.schedule_will(session_, generation_, a, now_);
          } else if constexpr (std::is_same_v<A, session::DetachSession>) {
            broker_.detach(session_, generation_, a, now_);
          }
          // SendPacket, SendPublish: what the client receives, kept in `log`.
          // SetKeepAlive: no timers here.
        },
        action);
  }

  // As Connection::close_now: the session is detached before anything else.
  void close_now() {
    if (closed_) return;
    closed_ = true;
    session::Actions actions;
    if (session_) {
      std::lock_guard lock(session_->mutex);
      machine_.on_connection_closed(actions,
                                    session_->generation != generation_ || session_->ended);
    } else {
      machine_.on_connection_closed(actions);
    }
    for (session::Action& action : actions) {
      log.push_back(action);
      execute_one(action);
    }
    session_.reset();
  }

  broker::Broker& broker_;
  const model::WallTime& now_;
  session::SessionLimits limits_;
  session::SessionMachine machine_;
  std::shared_ptr<Owner> owner_ = std::make_shared<Owner>();
  std::shared_ptr<broker::Session> session_;
  std::uint64_t generation_ = 0;
  bool close_requested_ = false;
  bool closed_ = false;
  std::deque<std::function<void()>> completions_;
};

class BrokerWorld {
 public:
  explicit BrokerWorld(model::WallTime start) : now(start) {}
  // A broker that pages (D7): its store reads queues back, with `settings`'
  // memory window; a restart through LevelDB reads `open_window` deliveries
  // per queue and leaves the rest on disk, as cairn's start-up does.
  BrokerWorld(model::WallTime start, broker::BrokerSettings settings, std::size_t open_window)
      : now(start), settings_(settings), pages_(true), open_window_(open_window) {
    store->enable_loads();
    broker = std::make_unique<broker::Broker>(*store, settings_);
  }

  // Loads `state` into the broker as recovery does at start-up, at `now`.
  void restore(storage::StoredState state) { broker->restore(std::move(state), now); }

  // An MQTT 5 client (Clean Start as asked; the expiry as its Session Expiry
  // Interval), connected and settled.
  // A `receive_maximum` (not 0) limits what it takes in flight.
  BrokerClient& connect(const std::string& id, std::uint32_t expiry, bool clean_start,
                        std::optional<mqtt::Will> will = std::nullopt,
                        std::uint16_t receive_maximum = 0) {
    clients.push_back(std::make_unique<BrokerClient>(*broker, now));
    BrokerClient& c = *clients.back();
    mqtt::Connect connect = make_connect(mqtt::ProtocolVersion::kV5, id, clean_start);
    if (expiry != 0) connect.properties.session_expiry_interval = expiry;
    if (receive_maximum != 0) connect.properties.receive_maximum = receive_maximum;
    connect.will = std::move(will);
    c.send(std::move(connect));
    settle();
    EXPECT_EQ(c.received<mqtt::Connack>().size(), 1u) << c.describe();
    return c;
  }
  // A client whose CONNECT is sent and whose own work is done, with the
  // store left alone: the test decides what commits when.
  BrokerClient& connect_unsettled(mqtt::Connect connect) {
    clients.push_back(std::make_unique<BrokerClient>(*broker, now));
    BrokerClient& c = *clients.back();
    c.send(std::move(connect));
    while (c.step()) {
    }
    return c;
  }
  // Lets every client handle what came back, committing nothing.
  void step_clients() {
    for (auto& c : clients) {
      while (c->step()) {
      }
    }
  }
  static mqtt::Connack connack(const BrokerClient& c) {
    const auto acks = c.received<mqtt::Connack>();
    return acks.empty() ? mqtt::Connack{} : acks.front();
  }
  void subscribe(BrokerClient& c, std::string filter, model::QoS qos) {
    c.send(make_subscribe(next_packet_id_++, {make_filter(std::move(filter), qos)}));
    settle();
  }
  void publish(BrokerClient& c, std::string topic, model::QoS qos, std::string payload) {
    const std::uint16_t id = qos == model::QoS::kAtMostOnce ? 0 : next_packet_id_++;
    c.send(make_publish(std::move(topic), qos, id, std::move(payload)));
    settle();
  }
  // A non-persistent client subscribed to `filter` with QoS 2.
  BrokerClient& watch(std::string filter) {
    BrokerClient& c = connect("watcher-" + std::to_string(++watchers_), 0, true);
    subscribe(c, std::move(filter), model::QoS::kExactlyOnce);
    return c;
  }
  static std::vector<std::string> payloads(const BrokerClient& c) {
    std::vector<std::string> out;
    for (const mqtt::Publish& p : c.received<mqtt::Publish>()) out.push_back(p.payload);
    return out;
  }

  // Commits everything and lets every client handle what came back, until
  // nothing moves: the world as it is once the network and the disk are idle.
  void settle() {
    for (;;) {
      store->commit_all();
      bool moved = false;
      for (auto& c : clients) {
        while (c->step()) moved = true;
      }
      if (!moved && store->pending() == 0) return;
    }
  }
  void tick_at(model::WallTime t) {
    now = t;
    broker->tick(t);
    settle();
  }

  // Committed operations of type Op for `client`, in commit order.
  template <class Op>
  std::vector<Op> committed(const std::string& client) const {
    std::vector<Op> out;
    for (const Op& op : store->committed_operations<Op>()) {
      if (op.client_id == client) out.push_back(op);
    }
    return out;
  }
  // Their sequence numbers, for the operations on delivery records.
  template <class Op>
  std::vector<std::uint64_t> sequences(const std::string& client) const {
    std::vector<std::uint64_t> out;
    for (const Op& op : committed<Op>(client)) out.push_back(op.sequence);
    return out;
  }

  // A crash and a restart at `now`: everything committed so far, in every
  // life of the broker, is read back the way a restart finds it (a LevelDB
  // store reopened, or the InMemoryStore's StoredState), and a new broker on
  // a new store restores it. The clients' connections die with the process.
  // (The InMemoryStore keys messages by the broker's message ids, which a
  // new process numbers afresh: a scenario must not have a message of an
  // earlier life queued when a later life routes a persistent one.)
  void restart(bool through_leveldb) {
    history_.insert(history_.end(), store->committed().begin(), store->committed().end());
    storage::StoredState state;
    storage::StoredState whole;  // every queue whole: what a paging store holds
    if (through_leveldb) {
      TempDir dir;
      storage::LeveldbStore::Options options;
      options.directory = dir.path();
      // What a restart reads is what was committed; whether each commit also
      // reached the platter is not this harness's question: no real fsync.
      options.env = &no_fsync_;
      // Replayed one batch at a time: an acknowledgement's removal must not
      // wait for a later write to ride with (it would wait out defer_for).
      options.committer.defer_for = std::chrono::milliseconds(0);
      {
        storage::LeveldbStore::Opened opened = storage::LeveldbStore::open(options);
        ASSERT_TRUE(opened.store) << opened.error;
        // One group per batch, as the broker's ordering makes them: a
        // RecordSent never shares a group with its PutDelivery (D2).
        for (const storage::Batch& b : history_) {
          std::promise<std::error_code> done;
          opened.store->submit(b, [&done](std::error_code ec) { done.set_value(ec); });
          ASSERT_FALSE(done.get_future().get());
        }
        opened.store->close();
      }
      if (pages_) {  // what load() reads: every queue whole
        storage::LeveldbStore::Opened all = storage::LeveldbStore::open(options);
        ASSERT_TRUE(all.store) << all.error;
        whole = std::move(all.state);
        options.queue_window = open_window_;
      }
      storage::LeveldbStore::Opened reopened = storage::LeveldbStore::open(options);
      ASSERT_TRUE(reopened.store) << reopened.error;
      state = std::move(reopened.state);
      opened_report = reopened.report;
    } else {
      storage::InMemoryStore memory;
      for (const storage::Batch& b : history_) memory.submit(b, [](std::error_code) {});
      memory.close();
      state = memory.stored_state();
      whole = state;
    }
    clients.clear();
    broker.reset();
    store = std::make_unique<ManualStore>();
    if (pages_) {
      store->enable_loads();
      store->seed(whole);
    }
    broker = std::make_unique<broker::Broker>(*store, settings_);
    restore(std::move(state));
    store->commit_all();  // what restore() stores commits before any later crash
  }

  model::WallTime now;
  std::unique_ptr<ManualStore> store = std::make_unique<ManualStore>();
  std::unique_ptr<broker::Broker> broker =
      std::make_unique<broker::Broker>(*store, broker::BrokerSettings{});
  std::vector<std::unique_ptr<BrokerClient>> clients;  // after the broker: they use it
  storage::LoadReport opened_report;                   // the last restart through LevelDB's

 private:
  broker::BrokerSettings settings_;
  bool pages_ = false;
  std::size_t open_window_ = 0;
  std::vector<storage::Batch> history_;  // committed in earlier lives
  PowerLossEnv no_fsync_;                // never cut: it only skips the real fsyncs
  std::uint16_t next_packet_id_ = 1;
  int watchers_ = 0;
};

}  // namespace cairn::test
