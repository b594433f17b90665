// ManualStore: a DurableStore that commits only when the test says so, on the
// test's thread, so a test can look at the world between submit and commit
// (DESIGN.md §7). It records every batch; fail_all() turns it into a failed
// store (D8) whose pending and later batches complete with an error.
//
// With enable_loads() it also reads queues back (paging, D7): it keeps the
// deliveries committed, and a load waits in line with the batches, answered
// when commit_next() reaches it, as the real store orders them.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "storage/durable_store.h"

namespace cairn::test {

class ManualStore final : public storage::DurableStore {
 public:
  void submit(storage::Batch batch, Completion done) override {
    if (failed_) {
      done(storage::StoreErrc::kFailed);
      return;
    }
    submitted_.push_back(batch);
    pending_.emplace_back(Pending{std::move(batch), std::move(done), {}, {}});
  }
  bool can_load() const noexcept override { return loads_; }
  void load(storage::LoadRequest request, LoadCompletion done) override {
    if (!loads_) return done({}, storage::StoreErrc::kUnsupported);
    ++loads_submitted_;
    pending_.emplace_back(Pending{{}, {}, std::move(request), std::move(done)});
  }
  bool failed() const noexcept override { return failed_; }
  bool space_low() const noexcept override { return space_low_; }
  void set_space_low(bool low) { space_low_ = low; }
  void close() override { commit_all(); }

  // Reads queues back from here on (the broker pages).
  void enable_loads() { loads_ = true; }
  // What a restarted process's store holds: the queues of `state`.
  void seed(const storage::StoredState& state) {
    for (const auto& [client, queue] : state.queues) {
      for (const storage::StoredDelivery& d : queue) queues_[client][d.sequence] = d;
    }
  }
  std::size_t loads_submitted() const { return loads_submitted_; }

  std::size_t pending() const { return pending_.size(); }
  // Every batch ever submitted, in order.
  const std::vector<storage::Batch>& submitted() const { return submitted_; }

  // Commits the oldest pending batch (or answers the oldest load). Returns
  // false when none is pending.
  bool commit_next() {
    if (pending_.empty()) return false;
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    if (p.load_done) {
      p.load_done(read(p.request), std::error_code{});
      return true;
    }
    keep(p.batch);
    committed_.push_back(std::move(p.batch));
    p.done(std::error_code{});
    return true;
  }
  void commit_all() {
    while (commit_next()) {
    }
  }
  const std::vector<storage::Batch>& committed() const { return committed_; }

  // The store fails: what is pending and everything after fails too.
  void fail_all() {
    failed_ = true;
    while (!pending_.empty()) {
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      if (p.load_done) {
        p.load_done({}, storage::StoreErrc::kFailed);
      } else {
        p.done(storage::StoreErrc::kIo);
      }
    }
  }

  // Operations of type Op across all committed batches.
  template <class Op>
  std::vector<Op> committed_operations() const {
    std::vector<Op> out;
    for (const auto& b : committed_) {
      for (const auto& op : b.operations) {
        if (const Op* o = std::get_if<Op>(&op)) out.push_back(*o);
      }
    }
    return out;
  }

 private:
  struct Pending {
    storage::Batch batch;
    Completion done;
    storage::LoadRequest request;
    LoadCompletion load_done;  // set: a load, not a batch
  };

  // The committed deliveries, as a load reads them back.
  void keep(const storage::Batch& batch) {
    if (!loads_) return;
    std::unordered_map<storage::MessageId, model::MessagePtr> messages;
    for (const storage::Operation& op : batch.operations) {
      if (storage::of_ended_session(op)) continue;  // as a real store: dropped
      if (const auto* m = std::get_if<storage::PutMessage>(&op)) {
        messages[m->id] = m->message;
      } else if (const auto* d = std::get_if<storage::PutDelivery>(&op)) {
        storage::StoredDelivery& s = queues_[d->client_id][d->sequence];
        s.sequence = d->sequence;
        s.message = messages.at(d->message_id);
        s.qos = d->qos;
        s.retain = d->retain;
        s.subscription_ids = d->subscription_ids;
      } else if (const auto* r = std::get_if<storage::RemoveDelivery>(&op)) {
        queues_[r->client_id].erase(r->sequence);
      } else if (const auto* s = std::get_if<storage::RecordSent>(&op)) {
        if (auto it = queues_[s->client_id].find(s->sequence); it != queues_[s->client_id].end()) {
          it->second.packet_id = s->packet_id;
        }
      } else if (const auto* s = std::get_if<storage::MarkDeliveryReleased>(&op)) {
        if (auto it = queues_[s->client_id].find(s->sequence); it != queues_[s->client_id].end()) {
          it->second.packet_id = s->packet_id;
          it->second.released = true;
        }
      } else if (const auto* r = std::get_if<storage::RemoveSession>(&op)) {
        queues_.erase(r->client_id);
      }
    }
  }
  std::vector<storage::StoredDelivery> read(const storage::LoadRequest& r) const {
    std::vector<storage::StoredDelivery> out;
    auto queue = queues_.find(r.client_id);
    if (queue == queues_.end()) return out;
    std::uint64_t bytes = 0;
    for (auto it = queue->second.lower_bound(r.from);
         it != queue->second.end() && out.size() < r.max_count; ++it) {
      bytes += model::footprint(*it->second.message);
      if (!out.empty() && bytes > r.max_bytes) break;
      out.push_back(it->second);
    }
    return out;
  }

  bool failed_ = false;
  bool space_low_ = false;
  bool loads_ = false;
  std::size_t loads_submitted_ = 0;
  std::deque<Pending> pending_;
  std::vector<storage::Batch> submitted_;
  std::vector<storage::Batch> committed_;
  std::map<std::string, std::map<std::uint64_t, storage::StoredDelivery>> queues_;
};

}  // namespace cairn::test
