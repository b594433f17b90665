#include "load/subscriber.h"

#include <utility>

#include "load/message_header.h"
#include "load/publisher.h"

namespace cairn::load {

Subscriber::Subscriber(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& broker,
                       Config config, RunState& run, std::string filter, int qos, bool subscribe)
    : Connection(io, broker, std::move(config), run),
      filter_(std::move(filter)),
      qos_(qos),
      subscribe_(subscribe) {}

void Subscriber::add_stream(std::uint32_t publisher_id, Stream* stream) {
  if (streams_.size() <= publisher_id) streams_.resize(publisher_id + 1, nullptr);
  streams_[publisher_id] = stream;
}

void Subscriber::on_connected(const mqtt::Connack&) {
  if (!subscribe_) {
    subscribed_ = true;
    run().subscribed.fetch_add(1);
    return;
  }
  mqtt::Subscribe subscribe;
  subscribe.packet_id = 1;
  mqtt::TopicSubscription subscription;
  subscription.filter = filter_;
  subscription.options.max_qos = static_cast<mqtt::QoS>(qos_);
  subscribe.subscriptions.push_back(std::move(subscription));
  send(subscribe);
}

void Subscriber::on_packet(mqtt::Packet& packet, std::uint64_t received_ns) {
  if (const auto* publish = std::get_if<mqtt::Publish>(&packet)) {
    on_publish(*publish, received_ns);
  } else if (const auto* pubrel = std::get_if<mqtt::Pubrel>(&packet)) {
    std::get<mqtt::Pubcomp>(pubcomp_).packet_id = pubrel->packet_id;
    send(pubcomp_);
  } else if (const auto* suback = std::get_if<mqtt::Suback>(&packet)) {
    if (subscribed_ || suback->packet_id != 1 || suback->reason_codes.size() != 1) {
      fail("unexpected SUBACK");
      return;
    }
    const mqtt::ReasonCode code = suback->reason_codes[0];
    if (mqtt::is_failure(code)) {
      fail("SUBACK refused " + filter_ + ": " +
           std::string(mqtt::reason_code_name(code, mqtt::PacketType::kSuback)));
      return;
    }
    if (static_cast<int>(code) != qos_) {
      fail("SUBACK granted QoS " + std::to_string(static_cast<int>(code)) + " for " + filter_ +
           ", asked " + std::to_string(qos_));
      return;
    }
    subscribed_ = true;
    run().subscribed.fetch_add(1);
  } else {
    fail("unexpected packet type " + std::to_string(static_cast<int>(mqtt::packet_type(packet))) +
         " to a subscriber");
  }
}

void Subscriber::on_publish(const mqtt::Publish& publish, std::uint64_t received_ns) {
  const std::optional<MessageHeader> header = read_header(publish.payload);
  if (!header || header->publisher >= streams_.size() || streams_[header->publisher] == nullptr) {
    fail("a message on " + publish.topic + " that no publisher of this run sent");
    return;
  }
  Stream& stream = *streams_[header->publisher];
  stream.tracker.on_receive(header->sequence);
  if (!stream.dirty) {
    stream.dirty = true;
    moved_.push_back(&stream);
  }
  if (run().phase.load(std::memory_order_relaxed) == Phase::kMeasure &&
      received_ns >= header->sent_ns) {
    latency_.record(received_ns - header->sent_ns);
  }
  ++delivered_local_;
  if (publish.qos == mqtt::QoS::kAtLeastOnce) {
    std::get<mqtt::Puback>(puback_).packet_id = publish.packet_id;
    send(puback_);
  } else if (publish.qos == mqtt::QoS::kExactlyOnce) {
    std::get<mqtt::Pubrec>(pubrec_).packet_id = publish.packet_id;
    send(pubrec_);
  }
}

void Subscriber::on_read_done() {
  delivered_.store(delivered_local_, std::memory_order_relaxed);
  for (Stream* stream : moved_) {
    stream->dirty = false;
    stream->distinct.store(stream->tracker.distinct());
    stream->front.store(stream->tracker.front());
    stream->publisher->wake();
  }
  moved_.clear();
}

}  // namespace cairn::load
