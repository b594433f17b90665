// DurableStore: where every change the broker acknowledges is committed
// first (DESIGN.md D1-D4, D8).
//
// submit() never blocks on the disk (D5): it queues the batch and returns.
// The completion runs later on the store's own thread, once the batch is
// committed (error_code empty) or the store has failed (D8: it stays failed;
// every later batch fails too, and nothing unstored may be acknowledged).
// Completions run in submission order. A caller that must continue on its own
// executor posts there from the completion.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "storage/batch.h"
#include "storage/stored_state.h"

namespace cairn::storage {

// Part of a session's queue to read back into memory (paging, D7): the
// deliveries not yet acknowledged whose sequence is at least `from`, in
// sequence order, at most `max_count` of them and, past the first, at most
// `max_bytes` of message footprint (model::footprint).
struct LoadRequest {
  std::string client_id;
  std::uint64_t from = 0;
  std::size_t max_count = 0;
  std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max();
};

class DurableStore {
 public:
  using Completion = std::function<void(std::error_code)>;
  using LoadCompletion = std::function<void(std::vector<StoredDelivery>, std::error_code)>;

  virtual ~DurableStore() = default;

  // REQUIRES: `done` is cheap and does not call back into this store.
  virtual void submit(Batch batch, Completion done) = 0;

  // Whether load() works: a store that cannot read a queue back keeps every
  // queue in memory (the broker then does not page).
  virtual bool can_load() const noexcept { return false; }
  // Reads part of a session's queue back. Ordered with submit(): the result
  // holds every delivery whose batch completed before this call was made.
  // `done` runs on the store's thread, like a completion, with an error when
  // the records cannot be read (nothing is changed then).
  virtual void load(LoadRequest request, LoadCompletion done);

  // True once a commit has failed: the store refuses everything after (D8).
  virtual bool failed() const noexcept = 0;

  // True while the data volume has less free space than configured
  // (FreeSpaceGuard): new QoS 1/2 messages are refused with
  // StoreErrc::kNoSpace before the disk fills, until space returns.
  virtual bool space_low() const noexcept { return false; }

  // True while so many batches wait for a commit that the network threads
  // should stop reading from their clients (TCP backpressure, DESIGN.md §4):
  // submit() itself never blocks (D5).
  virtual bool congested() const noexcept { return false; }

  // Completes everything submitted so far, then stops taking batches: later
  // submits fail with store_errc::closed. Part of the ordered shutdown.
  virtual void close() = 0;
};

enum class StoreErrc {
  kFailed = 1,   // a commit failed earlier; the store accepts nothing (D8)
  kClosed,       // submitted after close()
  kIo,           // the commit itself failed
  kNoSpace,      // refused: the data volume is low on free space (not a failure)
  kUnreadable,   // load(): a queued delivery's records cannot be read
  kUnsupported,  // load() on a store that cannot read queues back
};

const std::error_category& store_category() noexcept;
inline std::error_code make_error_code(StoreErrc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

}  // namespace cairn::storage

template <>
struct std::is_error_code_enum<cairn::storage::StoreErrc> : std::true_type {};
