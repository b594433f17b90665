// InMemoryStore: a DurableStore that keeps everything in memory, behind the
// same GroupCommitter as the real one (its thread, groups, one completion per
// batch, in order), so the broker and the tests see the real contract. It is what the broker runs
// on until the LevelDB store lands (issue 5), and what tests use to see what was committed. Nothing
// survives the process.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <unordered_map>

#include "storage/durable_store.h"
#include "storage/group_committer.h"
#include "storage/stored_state.h"

namespace cairn::storage {

class InMemoryStore final : public DurableStore, private CommitSink {
 public:
  // What is committed, as a restart would find it.
  struct Contents {
    struct StoredDelivery {
      PutDelivery delivery;
      std::uint16_t packet_id = 0;
      bool released = false;
    };
    std::unordered_map<MessageId, model::MessagePtr> messages;
    std::map<std::string, std::map<std::uint64_t, StoredDelivery>> deliveries;
    std::map<std::string, PutSession> sessions;  // by client id
    std::map<std::string, std::map<std::string, PutSubscription>> subscriptions;
    std::map<std::string, model::MessagePtr> retained;
    std::map<std::string, std::set<std::uint16_t>> incoming_qos2;
  };

  InMemoryStore();
  ~InMemoryStore() override;
  InMemoryStore(const InMemoryStore&) = delete;
  InMemoryStore& operator=(const InMemoryStore&) = delete;

  void submit(Batch batch, Completion done) override;
  bool can_load() const noexcept override { return true; }
  void load(LoadRequest request, LoadCompletion done) override;
  bool failed() const noexcept override;
  bool congested() const noexcept override { return committer_.congested(); }
  void close() override;

  Contents snapshot() const;
  // The same, in the shape LeveldbStore::open() reads back.
  StoredState stored_state() const;
  std::uint64_t commits() const;  // batches committed so far

 private:
  std::error_code commit(std::span<Batch> group) override;
  void apply(Batch& batch);  // REQUIRES: contents_mutex_ held
  // A committed delivery as StoredState gives it. REQUIRES: contents_mutex_ held.
  StoredDelivery stored(std::uint64_t sequence, const Contents::StoredDelivery& d) const;

  mutable std::mutex contents_mutex_;
  Contents contents_;                                      // guarded by contents_mutex_
  std::unordered_map<MessageId, std::size_t> references_;  // guarded by contents_mutex_
  std::uint64_t commits_ = 0;                              // guarded by contents_mutex_

  GroupCommitter committer_;  // last: its thread commits into the members above
};

}  // namespace cairn::storage
