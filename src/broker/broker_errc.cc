#include "broker/broker_errc.h"

#include <string>

#include "storage/durable_store.h"

namespace cairn::broker {
namespace {

class BrokerCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cairn.broker"; }
  std::string message(int value) const override {
    switch (static_cast<BrokerErrc>(value)) {
      case BrokerErrc::kQueueFull:
        return "a session the message goes to has a full queue (limits.max_queued_messages or "
               "limits.max_queued_mb)";
    }
    return "unknown broker error";
  }
};

}  // namespace

mqtt::ReasonCode refusal_reason(std::error_code ec) noexcept {
  const bool quota = ec == storage::StoreErrc::kNoSpace || ec == BrokerErrc::kQueueFull;
  return quota ? mqtt::ReasonCode::kQuotaExceeded : mqtt::ReasonCode::kUnspecifiedError;
}

const char* refusal_why(std::error_code ec) noexcept {
  if (ec == BrokerErrc::kQueueFull) {
    return "a QoS 1/2 publish was refused: a subscriber's queue is full "
           "(limits.max_queued_messages, limits.max_queued_mb; the warning before names it)";
  }
  if (ec == storage::StoreErrc::kNoSpace) {
    return "refused: the data volume is low on space (storage.min_free_space_mb)";
  }
  return "the store cannot commit";
}

const std::error_category& broker_category() noexcept {
  static const BrokerCategory category;
  return category;
}

}  // namespace cairn::broker
