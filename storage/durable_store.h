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

#include <functional>
#include <system_error>

#include "storage/batch.h"

namespace cairn::storage {

class DurableStore {
 public:
  using Completion = std::function<void(std::error_code)>;

  virtual ~DurableStore() = default;

  // REQUIRES: `done` is cheap and does not call back into this store.
  virtual void submit(Batch batch, Completion done) = 0;

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
  kFailed = 1,  // a commit failed earlier; the store accepts nothing (D8)
  kClosed,      // submitted after close()
  kIo,          // the commit itself failed
  kNoSpace,     // refused: the data volume is low on free space (not a failure)
};

const std::error_category& store_category() noexcept;
inline std::error_code make_error_code(StoreErrc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

}  // namespace cairn::storage

template <>
struct std::is_error_code_enum<cairn::storage::StoreErrc> : std::true_type {};
