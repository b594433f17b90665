#include <algorithm>
#include <utility>

#include "base/check.h"
#include "model/topic.h"
#include "session/packet_conversions.h"
#include "session/session_machine.h"

// SUBSCRIBE and UNSUBSCRIBE: validation here, the topic tree and the store in
// the broker; SUBACK/UNSUBACK leave through the ack FIFO so they keep the order
// of the requests [MQTT-3.8.4-?]/[MQTT-3.10.4-?].
namespace cairn::session {

using model::QoS;
using mqtt::ReasonCode;
using namespace detail;

void SessionMachine::handle_subscribe(mqtt::Subscribe&& s, Actions& out) {
  const auto& ids = s.properties.subscription_identifiers;
  if (!ids.empty() && !limits_.subscription_identifiers_available) {
    return disconnect(ReasonCode::kSubscriptionIdentifiersNotSupported,
                      "subscription identifiers not supported", out);
  }
  if (is_v5(version_)) {
    // §3.2.2.3.11, §3.2.2.3.13: announced unavailable in CONNACK, so asking
    // for one is a Protocol Error; 3.x was never told, and gets SUBACK 0x80.
    for (const mqtt::TopicSubscription& sub : s.subscriptions) {
      if (sub.filter.starts_with(model::kSharedPrefix) && !limits_.shared_subscription_available) {
        return disconnect(ReasonCode::kSharedSubscriptionsNotSupported,
                          "shared subscriptions not supported", out);
      }
      if (model::has_wildcard(sub.filter) && !limits_.wildcard_subscription_available) {
        return disconnect(ReasonCode::kWildcardSubscriptionsNotSupported,
                          "wildcard subscriptions not supported", out);
      }
    }
  }
  const std::uint32_t subscription_id = ids.empty() ? 0 : ids.front();
  PendingAck ack;
  ack.token = next_token_++;
  for (mqtt::TopicSubscription& sub : s.subscriptions) {
    const bool shared = sub.filter.starts_with(model::kSharedPrefix);
    const bool wildcard = model::has_wildcard(sub.filter);
    std::optional<ReasonCode> refused;
    if ((shared && !limits_.shared_subscription_available) ||
        (wildcard && !limits_.wildcard_subscription_available)) {
      refused = ReasonCode::kUnspecifiedError;  // 3.x only: 5.0 disconnected above
    } else if (!topic_within_limits(sub.filter)) {
      refused = ReasonCode::kTopicFilterInvalid;
    } else if (!allowed(sub.filter, model::TopicAccess::kSubscribe)) {
      out.push_back(AccessDenied{model::TopicAccess::kSubscribe, sub.filter});
      refused = ReasonCode::kNotAuthorized;  // 0x80 Failure in 3.x, below
    }
    if (refused && !is_v5(version_)) refused = ReasonCode::kUnspecifiedError;
    ack.suback_codes.push_back(refused);
    if (refused) continue;
    SubscribeRequest request;
    request.filter = std::move(sub.filter);
    request.options = sub.options;
    request.options.max_qos = std::min(sub.options.max_qos, limits_.maximum_qos);
    request.subscription_id = subscription_id;
    ack.requests.push_back(std::move(request));
  }
  mqtt::Suback suback;
  suback.packet_id = s.packet_id;
  ack.packet = std::move(suback);
  const Token token = ack.token;
  std::vector<SubscribeRequest> requests = ack.requests;
  acks_.push_back(std::move(ack));
  if (requests.empty()) {
    on_subscribed(token, {}, model::WallTime{}, out);
    return;
  }
  // The subscription quota is the broker's to check: only it knows whether a
  // filter replaces an existing subscription, which never counts twice.
  out.push_back(ApplySubscribe{token, std::move(requests), limits_.max_subscriptions});
}

void SessionMachine::on_subscribed(Token token, const std::vector<SubscribeResult>& results,
                                   model::WallTime now, Actions& out) {
  PendingAck* ack = find_ack(token);
  if (ack == nullptr) return;
  CAIRN_CHECK(results.size() == ack->requests.size(), "one result per subscribe request");
  auto& suback = std::get<mqtt::Suback>(*ack->packet);
  std::size_t next = 0;
  for (const auto& refused : ack->suback_codes) {
    if (refused) {
      suback.reason_codes.push_back(*refused);
      continue;
    }
    const SubscribeResult& r = results[next];
    const SubscribeRequest& request = ack->requests[next];
    ++next;
    ReasonCode code = r.reason;
    if (!is_v5(version_) && mqtt::is_failure(code)) code = ReasonCode::kUnspecifiedError;
    suback.reason_codes.push_back(code);
    if (mqtt::is_failure(code)) continue;
    // Retained messages follow the SUBACK per Retain Handling [MQTT-3.3.1-9..11];
    // a shared subscription never gets them [MQTT-4.8.2-?].
    const auto rh = request.options.retain_handling;
    const bool shared = request.filter.starts_with(model::kSharedPrefix);
    if (!shared && (rh == model::RetainHandling::kSendOnSubscribe ||
                    (rh == model::RetainHandling::kSendOnNewSubscribe && !r.existed))) {
      SubscribeRequest granted = request;
      granted.options.max_qos = static_cast<QoS>(static_cast<std::uint8_t>(code));
      ack->retained_after.push_back(std::move(granted));
    }
  }
  ack->ready = true;
  flush_acks(out);
  pump(now, out);
}

void SessionMachine::handle_unsubscribe(mqtt::Unsubscribe&& u, Actions& out) {
  mqtt::Unsuback unsuback;
  unsuback.packet_id = u.packet_id;
  const Token token = enqueue_ack(mqtt::Packet(std::move(unsuback)), false, false);
  out.push_back(ApplyUnsubscribe{token, std::move(u.filters)});
}

void SessionMachine::on_unsubscribed(Token token, const std::vector<bool>& existed, Actions& out) {
  PendingAck* ack = find_ack(token);
  if (ack == nullptr) return;
  auto& unsuback = std::get<mqtt::Unsuback>(*ack->packet);
  if (is_v5(version_)) {
    for (bool e : existed) {
      unsuback.reason_codes.push_back(e ? ReasonCode::kSuccess
                                        : ReasonCode::kNoSubscriptionExisted);
    }
  }
  ack->ready = true;
  flush_acks(out);
}

}  // namespace cairn::session
