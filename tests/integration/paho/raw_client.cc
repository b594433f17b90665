#include "integration/paho/raw_client.h"

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cairn::paho_test {
namespace {

using Clock = std::chrono::steady_clock;

void put_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void put_u32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((v >> shift) & 0xFF));
  }
}

void put_varint(Bytes& out, std::uint32_t v) {
  do {
    std::uint8_t b = v % 128;
    v /= 128;
    if (v > 0) b |= 0x80;
    out.push_back(b);
  } while (v > 0);
}

void put_string(Bytes& out, std::string_view s) {
  put_u16(out, static_cast<std::uint16_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

void put_properties(Bytes& out, const PropertyWriter& p) {
  put_varint(out, static_cast<std::uint32_t>(p.bytes().size()));
  out.insert(out.end(), p.bytes().begin(), p.bytes().end());
}

// A fixed header (first byte, Remaining Length) in front of `body`.
Bytes frame(std::uint8_t first, const Bytes& body) {
  Bytes out{first};
  put_varint(out, static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// Reads big-endian fields from a packet body; running past the end sets
// `failed` and yields zeros.
class Reader {
 public:
  explicit Reader(const Bytes& b) : b_(b) {}
  bool failed = false;
  std::size_t left() const { return b_.size() - pos_; }
  std::uint8_t u8() {
    if (left() < 1) return fail();
    return b_[pos_++];
  }
  std::uint16_t u16() {
    const std::uint16_t hi = u8();
    return static_cast<std::uint16_t>((hi << 8) | u8());
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
    return v;
  }
  std::uint32_t varint() {
    std::uint32_t v = 0;
    for (int i = 0, shift = 0; i < 4; ++i, shift += 7) {
      const std::uint8_t b = u8();
      v |= static_cast<std::uint32_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail();
  }
  std::string bytes(std::size_t n) {
    if (left() < n) return fail(), std::string();
    std::string s(b_.begin() + static_cast<std::ptrdiff_t>(pos_),
                  b_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return s;
  }
  std::string string() { return bytes(u16()); }
  std::string rest() { return bytes(left()); }

  RawProperties properties() {
    RawProperties out;
    const std::uint32_t length = varint();
    if (length > left()) return fail(), out;
    const std::size_t end = pos_ + length;
    while (pos_ < end && !failed) {
      RawProperty p;
      p.id = u8();
      switch (p.id) {
        case 0x01:
        case 0x17:
        case 0x19:
        case 0x24:
        case 0x25:
        case 0x28:
        case 0x29:
        case 0x2A:
          p.number = u8();
          break;
        case 0x13:
        case 0x21:
        case 0x22:
        case 0x23:
          p.number = u16();
          break;
        case 0x02:
        case 0x11:
        case 0x18:
        case 0x27:
          p.number = u32();
          break;
        case 0x0B:
          p.number = varint();
          break;
        case 0x03:
        case 0x08:
        case 0x09:
        case 0x12:
        case 0x15:
        case 0x16:
        case 0x1A:
        case 0x1C:
        case 0x1F:
          p.text = string();
          break;
        case 0x26:
          p.text = string();
          p.value = string();
          break;
        default:
          ADD_FAILURE() << "unknown property 0x" << std::hex << int{p.id} << " from the broker";
          failed = true;
      }
      out.all.push_back(std::move(p));
    }
    if (pos_ != end) failed = true;
    return out;
  }

 private:
  std::uint8_t fail() {
    failed = true;
    return 0;
  }
  const Bytes& b_;
  std::size_t pos_ = 0;
};

}  // namespace

// --- properties ----------------------------------------------------------------

PropertyWriter& PropertyWriter::byte(PropertyId id, std::uint8_t value) {
  bytes_.push_back(id);
  bytes_.push_back(value);
  return *this;
}
PropertyWriter& PropertyWriter::u16(PropertyId id, std::uint16_t value) {
  bytes_.push_back(id);
  put_u16(bytes_, value);
  return *this;
}
PropertyWriter& PropertyWriter::u32(PropertyId id, std::uint32_t value) {
  bytes_.push_back(id);
  put_u32(bytes_, value);
  return *this;
}
PropertyWriter& PropertyWriter::varint(PropertyId id, std::uint32_t value) {
  bytes_.push_back(id);
  put_varint(bytes_, value);
  return *this;
}
PropertyWriter& PropertyWriter::string(PropertyId id, std::string_view value) {
  bytes_.push_back(id);
  put_string(bytes_, value);
  return *this;
}
PropertyWriter& PropertyWriter::pair(PropertyId id, std::string_view key, std::string_view value) {
  bytes_.push_back(id);
  put_string(bytes_, key);
  put_string(bytes_, value);
  return *this;
}

const RawProperty* RawProperties::find(PropertyId id) const {
  for (const RawProperty& p : all) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::size_t RawProperties::count(PropertyId id) const {
  std::size_t n = 0;
  for (const RawProperty& p : all) n += p.id == id ? 1 : 0;
  return n;
}

// --- builders --------------------------------------------------------------------

Bytes connect_packet(const RawConnect& c) {
  Bytes body;
  put_string(body, "MQTT");
  body.push_back(c.version);
  std::uint8_t flags = c.clean_start ? 0x02 : 0x00;
  if (c.will) {
    flags |= 0x04 | static_cast<std::uint8_t>(c.will->qos << 3);
    if (c.will->retain) flags |= 0x20;
  }
  body.push_back(flags);
  put_u16(body, c.keep_alive);
  if (c.version == 5) put_properties(body, c.properties);
  put_string(body, c.client_id);
  if (c.will) {
    if (c.version == 5) put_properties(body, c.will->properties);
    put_string(body, c.will->topic);
    put_string(body, c.will->payload);
  }
  return frame(0x10, body);
}

Bytes publish_packet(std::uint8_t version, std::string_view topic, std::string_view payload,
                     std::uint8_t qos, std::uint16_t packet_id, bool retain,
                     const PropertyWriter& properties) {
  Bytes body;
  put_string(body, topic);
  if (qos > 0) put_u16(body, packet_id);
  if (version == 5) put_properties(body, properties);
  body.insert(body.end(), payload.begin(), payload.end());
  return frame(static_cast<std::uint8_t>(0x30 | (qos << 1) | (retain ? 1 : 0)), body);
}

Bytes subscribe_packet(std::uint8_t version, std::uint16_t packet_id, std::string_view filter,
                       std::uint8_t options, const PropertyWriter& properties) {
  Bytes body;
  put_u16(body, packet_id);
  if (version == 5) put_properties(body, properties);
  put_string(body, filter);
  body.push_back(options);
  return frame(0x82, body);
}

Bytes ack_packet(PacketType type, std::uint16_t packet_id) {
  Bytes body;
  put_u16(body, packet_id);
  return frame(static_cast<std::uint8_t>(type << 4 | (type == kPubrel ? 0x02 : 0x00)), body);
}

Bytes disconnect_packet(std::uint8_t version, std::uint8_t reason,
                        const PropertyWriter& properties) {
  Bytes body;
  if (version == 5 && (reason != 0 || !properties.bytes().empty())) {
    body.push_back(reason);
    if (!properties.bytes().empty()) put_properties(body, properties);
  }
  return frame(0xE0, body);
}

Bytes pingreq_packet() { return {0xC0, 0x00}; }

// --- parsers ---------------------------------------------------------------------

RawPublish parse_publish(const RawPacket& p, std::uint8_t version) {
  RawPublish out;
  EXPECT_EQ(p.type, kPublish);
  out.qos = static_cast<std::uint8_t>((p.flags >> 1) & 0x03);
  out.retain = (p.flags & 0x01) != 0;
  out.dup = (p.flags & 0x08) != 0;
  Reader r(p.body);
  out.topic = r.string();
  if (out.qos > 0) out.packet_id = r.u16();
  if (version == 5) out.properties = r.properties();
  out.payload = r.rest();
  EXPECT_FALSE(r.failed) << "a PUBLISH from the broker does not parse";
  return out;
}

RawConnack parse_connack(const RawPacket& p, std::uint8_t version) {
  RawConnack out;
  EXPECT_EQ(p.type, kConnack);
  Reader r(p.body);
  out.session_present = (r.u8() & 0x01) != 0;
  out.reason = r.u8();
  if (version == 5) out.properties = r.properties();
  EXPECT_FALSE(r.failed) << "a CONNACK from the broker does not parse";
  return out;
}

std::uint8_t disconnect_reason(const RawPacket& p) {
  EXPECT_EQ(p.type, kDisconnect);
  if (p.body.empty()) return 0;
  Reader r(p.body);
  const std::uint8_t reason = r.u8();
  if (r.left() > 0) r.properties();
  EXPECT_FALSE(r.failed) << "a DISCONNECT from the broker does not parse";
  return reason;
}

// --- the connection ----------------------------------------------------------------

RawClient::RawClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ADD_FAILURE() << "connect to port " << port << ": " << std::strerror(errno);
    close();
    return;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawClient::~RawClient() { close(); }

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawClient::send(const Bytes& bytes) {
  std::size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return fd_ >= 0;
}

bool RawClient::fill(milliseconds timeout) {
  if (fd_ < 0 || peer_closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return false;
  std::uint8_t chunk[4096];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    if (n < 0 && errno == EINTR) return true;
    peer_closed_ = true;  // EOF, or ECONNRESET: the broker is gone either way
    return false;
  }
  buffer_.insert(buffer_.end(), chunk, chunk + n);
  return true;
}

std::optional<RawPacket> RawClient::take_packet() {
  std::size_t pos = 1;
  std::uint32_t length = 0;
  for (int shift = 0;; shift += 7) {
    if (pos >= buffer_.size()) return std::nullopt;
    if (shift > 21) {
      ADD_FAILURE() << "the broker sent a Remaining Length of more than 4 bytes";
      return std::nullopt;
    }
    const std::uint8_t b = buffer_[pos++];
    length |= static_cast<std::uint32_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (buffer_.size() < pos + length) return std::nullopt;
  RawPacket p;
  p.type = buffer_[0] >> 4;
  p.flags = buffer_[0] & 0x0F;
  p.body.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(pos),
                buffer_.begin() + static_cast<std::ptrdiff_t>(pos + length));
  p.wire_size = pos + length;
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos + length));
  return p;
}

std::optional<RawPacket> RawClient::read(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto p = take_packet()) return p;
    if (peer_closed_ || fd_ < 0) return std::nullopt;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() < 0) return std::nullopt;
    fill(left);
  }
}

bool RawClient::wait_closed(milliseconds timeout, std::vector<RawPacket>* before_close) {
  const auto deadline = Clock::now() + timeout;
  while (!peer_closed_) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() < 0) return false;
    auto p = read(left);
    if (p && before_close) before_close->push_back(std::move(*p));
  }
  while (auto p = take_packet()) {
    if (before_close) before_close->push_back(std::move(*p));
  }
  return true;
}

std::optional<RawConnack> RawClient::handshake(const RawConnect& c, milliseconds timeout) {
  version_ = c.version;
  if (!send(connect_packet(c))) return std::nullopt;
  auto p = read(timeout);
  if (!p || p->type != kConnack) return std::nullopt;
  return parse_connack(*p, c.version);
}

bool RawClient::subscribe(std::uint16_t packet_id, std::string_view filter, std::uint8_t options,
                          milliseconds timeout) {
  return send(subscribe_packet(version_, packet_id, filter, options)) && [&] {
    auto p = read(timeout);
    return p && p->type == kSuback && p->body.size() >= 3 && p->body.back() < 0x80;
  }();
}

std::optional<RawPublish> RawClient::next_publish(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() < 0) return std::nullopt;
    auto p = read(left);
    if (!p) return std::nullopt;
    if (p->type == kPubrel) {
      send(ack_packet(kPubcomp, static_cast<std::uint16_t>(p->body.at(0) << 8 | p->body.at(1))));
      continue;
    }
    if (p->type != kPublish) continue;
    RawPublish publish = parse_publish(*p, version_);
    if (publish.qos == 1) send(ack_packet(kPuback, publish.packet_id));
    if (publish.qos == 2) send(ack_packet(kPubrec, publish.packet_id));
    return publish;
  }
}

bool RawClient::ping(milliseconds timeout, std::vector<RawPacket>* before) {
  if (!send(pingreq_packet())) return false;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() < 0) return false;
    auto p = read(left);
    if (!p) return false;
    if (p->type == kPingresp) return true;
    if (before) before->push_back(std::move(*p));
  }
}

}  // namespace cairn::paho_test
