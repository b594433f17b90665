#include "storage/durable_store.h"

#include <string>

namespace cairn::storage {
namespace {

class StoreCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cairn.storage"; }
  std::string message(int value) const override {
    switch (static_cast<StoreErrc>(value)) {
      case StoreErrc::kFailed:
        return "the store has failed and accepts no more changes";
      case StoreErrc::kClosed:
        return "the store is closed";
      case StoreErrc::kIo:
        return "the commit failed";
      case StoreErrc::kNoSpace:
        return "the data volume is low on free space (storage.min_free_space_mb)";
      case StoreErrc::kUnreadable:
        return "a queued delivery cannot be read back from the store";
      case StoreErrc::kUnsupported:
        return "this store cannot read queues back";
    }
    return "unknown store error";
  }
};

}  // namespace

void DurableStore::load(LoadRequest, LoadCompletion done) { done({}, StoreErrc::kUnsupported); }

const std::error_category& store_category() noexcept {
  static const StoreCategory category;
  return category;
}

}  // namespace cairn::storage
