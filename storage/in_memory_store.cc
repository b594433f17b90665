#include "storage/in_memory_store.h"

#include <string>
#include <vector>

namespace cairn::storage {
InMemoryStore::InMemoryStore() : committer_(*this) {}

InMemoryStore::~InMemoryStore() { close(); }

void InMemoryStore::submit(Batch batch, Completion done) {
  committer_.submit(std::move(batch), std::move(done));
}

bool InMemoryStore::failed() const noexcept { return committer_.failed(); }

void InMemoryStore::close() { committer_.close(); }

InMemoryStore::Contents InMemoryStore::snapshot() const {
  std::lock_guard lock(contents_mutex_);
  return contents_;
}

void InMemoryStore::load(LoadRequest request, LoadCompletion done) {
  committer_.run_in_order(
      [this, request = std::move(request), done = std::move(done)](std::error_code ec) {
        std::vector<StoredDelivery> out;
        if (!ec && request.max_count > 0) {
          std::lock_guard lock(contents_mutex_);
          auto queue = contents_.deliveries.find(request.client_id);
          if (queue != contents_.deliveries.end()) {
            std::uint64_t bytes = 0;
            for (auto it = queue->second.lower_bound(request.from);
                 it != queue->second.end() && out.size() < request.max_count; ++it) {
              StoredDelivery d = stored(it->first, it->second);
              bytes += model::footprint(*d.message);
              if (!out.empty() && bytes > request.max_bytes) break;
              out.push_back(std::move(d));
            }
          }
        }
        done(std::move(out), ec);
      });
}

StoredDelivery InMemoryStore::stored(std::uint64_t sequence,
                                     const Contents::StoredDelivery& d) const {
  StoredDelivery sd;
  sd.sequence = sequence;
  sd.message = contents_.messages.at(d.delivery.message_id);
  sd.qos = d.delivery.qos;
  sd.retain = d.delivery.retain;
  sd.subscription_ids = d.delivery.subscription_ids;
  sd.packet_id = d.packet_id;
  sd.released = d.released;
  return sd;
}

StoredState InMemoryStore::stored_state() const {
  std::lock_guard lock(contents_mutex_);
  const Contents& c = contents_;
  StoredState s;
  s.sessions = c.sessions;
  for (const auto& [client, subs] : c.subscriptions) {
    if (!subs.empty()) s.subscriptions[client] = subs;
  }
  for (const auto& [client, queue] : c.deliveries) {
    std::vector<StoredDelivery> out;
    for (const auto& [sequence, d] : queue) out.push_back(stored(sequence, d));
    if (!out.empty()) s.queues[client] = std::move(out);
  }
  s.retained = c.retained;
  for (const auto& [client, ids] : c.incoming_qos2) {
    if (!ids.empty()) s.incoming_qos2[client] = ids;
  }
  return s;
}

std::uint64_t InMemoryStore::commits() const {
  std::lock_guard lock(contents_mutex_);
  return commits_;
}

std::error_code InMemoryStore::commit(std::span<Batch> group) {
  std::lock_guard lock(contents_mutex_);
  for (Batch& batch : group) apply(batch);
  return {};
}

void InMemoryStore::apply(Batch& batch) {
  Contents& c = contents_;
  auto unref = [&](MessageId id) {
    auto it = references_.find(id);
    if (it != references_.end() && --it->second == 0) {
      references_.erase(it);
      c.messages.erase(id);
    }
  };
  std::vector<MessageId> added;
  for (Operation& op : batch.operations) {
    if (of_ended_session(op)) continue;  // submitted after its session's end (batch.h)
    std::visit(
        [&](auto& o) {
          using O = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<O, PutMessage>) {
            c.messages[o.id] = o.message;
            added.push_back(o.id);
          } else if constexpr (std::is_same_v<O, PutDelivery>) {
            ++references_[o.message_id];
            c.deliveries[o.client_id][o.sequence] = {o, false};
          } else if constexpr (std::is_same_v<O, RecordSent> ||
                               std::is_same_v<O, MarkDeliveryReleased>) {
            auto& queue = c.deliveries[o.client_id];
            if (auto it = queue.find(o.sequence); it != queue.end() && o.packet_id != 0) {
              it->second.packet_id = o.packet_id;
              it->second.released = std::is_same_v<O, MarkDeliveryReleased>;
              // One holder per packet identifier (FORMAT.md): an earlier one is complete.
              for (auto other = queue.begin(); other != queue.end(); ++other) {
                if (other != it && other->second.packet_id == o.packet_id) {
                  unref(other->second.delivery.message_id);
                  queue.erase(other);
                  break;
                }
              }
            }
          } else if constexpr (std::is_same_v<O, RemoveDelivery>) {
            auto& queue = c.deliveries[o.client_id];
            if (auto it = queue.find(o.sequence); it != queue.end()) {
              unref(it->second.delivery.message_id);
              queue.erase(it);
            }
          } else if constexpr (std::is_same_v<O, PutSession>) {
            c.sessions[o.client_id] = o;
          } else if constexpr (std::is_same_v<O, RemoveSession>) {
            for (auto& [seq, d] : c.deliveries[o.client_id]) unref(d.delivery.message_id);
            c.deliveries.erase(o.client_id);
            c.sessions.erase(o.client_id);
            c.subscriptions.erase(o.client_id);
            c.incoming_qos2.erase(o.client_id);
          } else if constexpr (std::is_same_v<O, PutSubscription>) {
            c.subscriptions[o.client_id][o.filter] = o;
          } else if constexpr (std::is_same_v<O, RemoveSubscription>) {
            c.subscriptions[o.client_id].erase(o.filter);
          } else if constexpr (std::is_same_v<O, PutRetained>) {
            c.retained[o.message->topic] = o.message;
          } else if constexpr (std::is_same_v<O, RemoveRetained>) {
            c.retained.erase(o.topic);
          } else if constexpr (std::is_same_v<O, PutIncomingQos2>) {
            c.incoming_qos2[o.client_id].insert(o.packet_id);
          } else if constexpr (std::is_same_v<O, RemoveIncomingQos2>) {
            c.incoming_qos2[o.client_id].erase(o.packet_id);
          }
        },
        op);
  }
  // A message no delivery refers to is not kept (DESIGN.md §5).
  for (MessageId id : added) {
    if (references_.count(id) == 0) c.messages.erase(id);
  }
  ++commits_;
}

}  // namespace cairn::storage
