#include "suite/mqtt_link.h"

#include <cerrno>
#include <cstring>
#include <variant>

#include "mqtt/packet_encoder.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cairn::crashtest {

using Clock = std::chrono::steady_clock;

MqttLink::~MqttLink() { close(); }

void MqttLink::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::optional<mqtt::Connack> MqttLink::open(std::uint16_t port, const mqtt::Connect& connect,
                                            milliseconds timeout) {
  close();
  decoder_ = mqtt::FrameDecoder(connect.version);
  version_ = connect.version;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return std::nullopt;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close();
    return std::nullopt;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!send(connect)) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    std::optional<mqtt::Packet> p = read(std::max(left, milliseconds(1)));
    if (!p) break;
    if (auto* connack = std::get_if<mqtt::Connack>(&*p)) return *connack;
  }
  close();
  return std::nullopt;
}

bool MqttLink::send(const mqtt::Packet& packet) {
  if (fd_ < 0) return false;
  out_.clear();
  mqtt::encode_packet(packet, version_, out_);
  std::size_t sent = 0;
  while (sent < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close();
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<mqtt::Packet> MqttLink::read(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    mqtt::DecodeResult r = decoder_.next();
    if (auto* packet = std::get_if<mqtt::Packet>(&r)) return std::move(*packet);
    if (std::holds_alternative<mqtt::DecodeError>(r) || fd_ < 0) {
      close();
      return std::nullopt;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return std::nullopt;
    std::span<std::uint8_t> space = decoder_.prepare(64 * 1024);
    const ssize_t n = ::recv(fd_, space.data(), space.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close();
      return std::nullopt;
    }
    decoder_.commit(static_cast<std::size_t>(n));
  }
}

}  // namespace cairn::crashtest
