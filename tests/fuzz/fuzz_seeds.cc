// cairn_fuzz_seeds <corpus-dir>: writes the seed corpus of frame_decoder_fuzz.
//
// One file per seed: a selector byte (frame_decoder_input.h) followed by valid
// packets built with the codec's own structs and encode_packet: every packet
// type for every version (AUTH in 5.0 only), with and without the optional
// fields, every MQTT 5 property somewhere, and one whole session per version.
// Each seed is decoded again before it is written, so a seed that the codec
// does not round-trip is reported (exit 1) instead of silently written.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "frame_decoder_input.h"
#include "mqtt/decode_result.h"
#include "mqtt/frame_decoder.h"
#include "mqtt/packet.h"
#include "mqtt/packet_encoder.h"

namespace {

using namespace cairn::mqtt;
using cairn::fuzz::Split;

struct Seed {
  std::string name;
  ProtocolVersion version;
  std::vector<Packet> packets;
  Split split = cairn::fuzz::kSplitWhole;
};

const char* version_tag(ProtocolVersion v) {
  switch (v) {
    case ProtocolVersion::kV31:
      return "v31";
    case ProtocolVersion::kV311:
      return "v311";
    case ProtocolVersion::kV5:
      return "v5";
  }
  return "v?";
}

// ---- MQTT 5 properties, every one of them appears in some seed ----

Properties will_properties() {
  Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 3600;
  p.content_type = "text/plain";
  p.response_topic = "replies/c1";
  p.correlation_data = std::string("\x00\x01\xfe\xff", 4);
  p.will_delay_interval = 30;
  p.user_properties = {{"origin", "will"}};
  return p;
}

Properties connect_properties() {
  Properties p;
  p.session_expiry_interval = 0xFFFFFFFF;
  p.receive_maximum = 20;
  p.maximum_packet_size = 1 << 20;
  p.topic_alias_maximum = 10;
  p.request_response_information = 1;
  p.request_problem_information = 0;
  p.authentication_method = "SCRAM-SHA-256";
  p.authentication_data = std::string("n,,n=user,r=abc", 15);
  p.user_properties = {{"app", "cairn-fuzz"}, {"app", "twice"}};
  return p;
}

Properties connack_properties() {
  Properties p;
  p.session_expiry_interval = 120;
  p.receive_maximum = 100;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.maximum_packet_size = 65536;
  p.assigned_client_identifier = "auto-7f3a";
  p.topic_alias_maximum = 16;
  p.reason_string = "welcome";
  p.user_properties = {{"k", "v"}};
  p.wildcard_subscription_available = 1;
  p.subscription_identifier_available = 1;
  p.shared_subscription_available = 0;
  p.server_keep_alive = 30;
  p.response_information = "replies/";
  p.server_reference = "other.example:1883";
  p.authentication_method = "SCRAM-SHA-256";
  p.authentication_data = "server-final";
  return p;
}

Properties publish_properties() {
  Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 60;
  p.topic_alias = 3;
  p.response_topic = "replies/c1";
  p.correlation_data = "corr-1";
  p.user_properties = {{"trace", "0af7651916cd43dd"}};
  p.subscription_identifiers = {1, 268'435'455};
  p.content_type = "application/json";
  return p;
}

Properties reason_properties(const char* reason) {
  Properties p;
  p.reason_string = reason;
  p.user_properties = {{"why", reason}};
  return p;
}

// ---- packets ----

std::vector<std::pair<std::string, Packet>> packets_for(ProtocolVersion v) {
  const bool v5 = v == ProtocolVersion::kV5;
  std::vector<std::pair<std::string, Packet>> out;

  Connect minimal;
  minimal.version = v;
  minimal.client_id = "c1";
  out.emplace_back("connect-minimal", minimal);

  Connect full;
  full.version = v;
  full.clean_start = false;
  full.keep_alive = 60;
  full.client_id = "sensor-0042";
  full.username = "user";
  full.password = std::string("p\x00ss", 4);
  Will will;
  will.topic = "devices/sensor-0042/status";
  will.payload = "offline";
  will.qos = QoS::kAtLeastOnce;
  will.retain = true;
  if (v5) {
    will.properties = will_properties();
    full.properties = connect_properties();
  }
  full.will = will;
  out.emplace_back("connect-will-user-password", full);

  Connect user_only;
  user_only.version = v;
  user_only.keep_alive = 0xFFFF;
  user_only.client_id = v5 ? "" : "u";
  user_only.username = "only-user";
  Will will2;
  will2.topic = "w";
  will2.qos = QoS::kExactlyOnce;
  user_only.will = will2;
  out.emplace_back("connect-user-will-qos2", user_only);

  Connack accepted;
  accepted.session_present = v != ProtocolVersion::kV31;  // 3.1 has no acknowledge flags
  out.emplace_back("connack-accepted", accepted);
  Connack refused;
  refused.reason_code = ReasonCode::kBadUserNameOrPassword;
  if (v5) {
    refused.reason_code = ReasonCode::kNotAuthorized;
    refused.properties = reason_properties("no");
  }
  out.emplace_back("connack-refused", refused);
  if (v5) {
    Connack props;
    props.properties = connack_properties();
    out.emplace_back("connack-properties", props);
  }

  Publish qos0;
  qos0.topic = "a/b";
  qos0.payload = "hello";
  out.emplace_back("publish-qos0", qos0);
  Publish qos1;
  qos1.qos = QoS::kAtLeastOnce;
  qos1.dup = true;
  qos1.topic = "sensors/temperature/room-1";
  qos1.packet_id = 1;
  qos1.payload = std::string(64, 'x');
  if (v5) qos1.properties = publish_properties();
  out.emplace_back("publish-qos1", qos1);
  Publish qos2;
  qos2.qos = QoS::kExactlyOnce;
  qos2.retain = true;
  qos2.topic = "$SYS/broker/ü/日本";
  qos2.packet_id = 0xFFFF;
  out.emplace_back("publish-qos2-retain-empty", qos2);
  if (v5) {
    Publish alias;
    alias.qos = QoS::kAtLeastOnce;
    alias.packet_id = 7;
    alias.properties.topic_alias = 3;
    alias.payload = std::string("\x00\x01\x02", 3);
    out.emplace_back("publish-topic-alias", alias);
  }

  Puback puback;
  puback.packet_id = 1;
  out.emplace_back("puback", puback);
  Pubrec pubrec;
  pubrec.packet_id = 2;
  out.emplace_back("pubrec", pubrec);
  Pubrel pubrel;
  pubrel.packet_id = 3;
  out.emplace_back("pubrel", pubrel);
  Pubcomp pubcomp;
  pubcomp.packet_id = 4;
  out.emplace_back("pubcomp", pubcomp);
  if (v5) {
    Puback no_subscribers;
    no_subscribers.packet_id = 10;
    no_subscribers.reason_code = ReasonCode::kNoMatchingSubscribers;
    out.emplace_back("puback-reason", no_subscribers);
    Pubrec quota;
    quota.packet_id = 11;
    quota.reason_code = ReasonCode::kQuotaExceeded;
    quota.properties = reason_properties("quota");
    out.emplace_back("pubrec-reason-properties", quota);
    Pubrel not_found;
    not_found.packet_id = 12;
    not_found.reason_code = ReasonCode::kPacketIdentifierNotFound;
    out.emplace_back("pubrel-reason", not_found);
    Pubcomp props;
    props.packet_id = 13;
    props.properties = reason_properties("done");
    out.emplace_back("pubcomp-properties", props);
  }

  Subscribe subscribe;
  subscribe.packet_id = 5;
  subscribe.subscriptions.push_back({"a/+/c", {QoS::kAtMostOnce}});
  subscribe.subscriptions.push_back({"sensors/#", {QoS::kAtLeastOnce}});
  subscribe.subscriptions.push_back({"#", {QoS::kExactlyOnce}});
  subscribe.subscriptions.push_back({"+/+/", {QoS::kAtMostOnce}});
  if (v5) {
    subscribe.subscriptions.push_back(
        {"$share/group/jobs/+", {QoS::kAtLeastOnce, false, true, RetainHandling::kDoNotSend}});
    subscribe.subscriptions.push_back(
        {"local/#", {QoS::kExactlyOnce, true, false, RetainHandling::kSendOnNewSubscribe}});
    subscribe.properties.subscription_identifiers = {42};
    subscribe.properties.user_properties = {{"k", "v"}};
  }
  out.emplace_back("subscribe", subscribe);

  Suback suback;
  suback.packet_id = 5;
  suback.reason_codes = {ReasonCode::kGrantedQoS0, ReasonCode::kGrantedQoS1,
                         ReasonCode::kGrantedQoS2, ReasonCode::kUnspecifiedError};
  if (v5) {
    suback.reason_codes.push_back(ReasonCode::kNotAuthorized);
    suback.reason_codes.push_back(ReasonCode::kSharedSubscriptionsNotSupported);
    suback.properties = reason_properties("partial");
  }
  out.emplace_back("suback", suback);

  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 6;
  unsubscribe.filters = {"a/+/c", "sensors/#"};
  if (v5) unsubscribe.properties.user_properties = {{"k", "v"}};
  out.emplace_back("unsubscribe", unsubscribe);

  Unsuback unsuback;
  unsuback.packet_id = 6;
  if (v5) {
    unsuback.reason_codes = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted};
    unsuback.properties = reason_properties("one missing");
  }
  out.emplace_back("unsuback", unsuback);

  out.emplace_back("pingreq", Pingreq{});
  out.emplace_back("pingresp", Pingresp{});
  out.emplace_back("disconnect", Disconnect{});

  if (v5) {
    Disconnect with_will;
    with_will.reason_code = ReasonCode::kDisconnectWithWillMessage;
    with_will.properties.session_expiry_interval = 0;
    with_will.properties.reason_string = "bye";
    out.emplace_back("disconnect-with-will", with_will);
    Disconnect moved;
    moved.reason_code = ReasonCode::kServerMoved;
    moved.properties.server_reference = "elsewhere:1883";
    out.emplace_back("disconnect-server-moved", moved);

    out.emplace_back("auth-success", Auth{});
    Auth cont;
    cont.reason_code = ReasonCode::kContinueAuthentication;
    cont.properties.authentication_method = "SCRAM-SHA-256";
    cont.properties.authentication_data = "client-final";
    cont.properties.reason_string = "step 2";
    cont.properties.user_properties = {{"k", "v"}};
    out.emplace_back("auth-continue", cont);
    Auth re;
    re.reason_code = ReasonCode::kReAuthenticate;
    re.properties.authentication_method = "SCRAM-SHA-256";
    out.emplace_back("auth-reauthenticate", re);
  }
  return out;
}

std::vector<Seed> all_seeds() {
  std::vector<Seed> seeds;
  for (ProtocolVersion v : {ProtocolVersion::kV31, ProtocolVersion::kV311, ProtocolVersion::kV5}) {
    auto packets = packets_for(v);
    for (auto& [name, packet] : packets) {
      seeds.push_back({name, v, {packet}});
    }
    // A whole session as a client and a server would exchange it, in one
    // stream and, for the decoder's buffering, fed in several splits.
    std::vector<Packet> session;
    for (auto& [name, packet] : packets) session.push_back(packet);
    seeds.push_back({"session", v, session, cairn::fuzz::kSplitWhole});
    seeds.push_back({"session-bytewise", v, session, cairn::fuzz::kSplitByteByByte});
    seeds.push_back({"session-random", v, session, cairn::fuzz::kSplitPseudoRandom});
    seeds.push_back({"session-prepare", v, session, cairn::fuzz::kSplitPrepareCommit});
  }
  return seeds;
}

// The version each packet of a seed is encoded with: a CONNECT's own, and
// after a CONNECT the one it named, as FrameDecoder does.
std::vector<std::uint8_t> encode_seed(const Seed& seed) {
  std::vector<std::uint8_t> bytes;
  bytes.push_back(cairn::fuzz::make_selector(seed.version, seed.split));
  ProtocolVersion in_effect = seed.version;
  for (const Packet& packet : seed.packets) {
    if (const auto* connect = std::get_if<Connect>(&packet)) in_effect = connect->version;
    encode_packet(packet, in_effect, bytes);
  }
  return bytes;
}

bool round_trips(const Seed& seed, const std::vector<std::uint8_t>& bytes) {
  FrameDecoder decoder(seed.version);
  decoder.feed(std::span<const std::uint8_t>(bytes).subspan(1));
  for (std::size_t i = 0; i < seed.packets.size(); ++i) {
    DecodeResult result = decoder.next();
    if (const auto* error = std::get_if<DecodeError>(&result)) {
      std::fprintf(stderr, "cairn_fuzz_seeds: %s %s: packet %zu: DecodeError 0x%02x: %s\n",
                   version_tag(seed.version), seed.name.c_str(), i,
                   static_cast<unsigned>(error->reason), error->why);
      return false;
    }
    const auto* packet = std::get_if<Packet>(&result);
    if (packet == nullptr || *packet != seed.packets[i]) {
      std::fprintf(stderr, "cairn_fuzz_seeds: %s %s: packet %zu does not decode to itself\n",
                   version_tag(seed.version), seed.name.c_str(), i);
      return false;
    }
  }
  if (!std::holds_alternative<NeedMore>(decoder.next()) || decoder.buffered() != 0) {
    std::fprintf(stderr, "cairn_fuzz_seeds: %s %s: bytes left over\n", version_tag(seed.version),
                 seed.name.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);

  int written = 0;
  bool ok = true;
  for (const Seed& seed : all_seeds()) {
    const std::vector<std::uint8_t> bytes = encode_seed(seed);
    if (!round_trips(seed, bytes)) {
      ok = false;
      continue;
    }
    const auto path = dir / (std::string(version_tag(seed.version)) + "-" + seed.name);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    if (!file) {
      std::fprintf(stderr, "cairn_fuzz_seeds: cannot write %s\n", path.c_str());
      return 1;
    }
    ++written;
  }
  std::printf("cairn_fuzz_seeds: wrote %d seeds to %s\n", written, dir.c_str());
  return ok ? 0 : 1;
}
