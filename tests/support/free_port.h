// free_port(): a TCP port free on 127.0.0.1 now, for a broker a test starts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <random>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cairn::test {

// Drawn at random from below the kernel's ephemeral range
// (ip_local_port_range) rather than by bind(port 0). A bind(0) port comes from
// the range the kernel also hands to outgoing connections; ctest runs two tests
// at once, and tests restart a broker on the same port, so such a port was
// taken by another test's client before cairn bound it (CI: "cannot serve
// metrics on 127.0.0.1:53241"). Below the range only another random pick can
// collide. tests/integration/lib.sh's free_ports does the same for scripts.
// Returns 0 if no port is found.
inline std::uint16_t free_port() {
  static std::mt19937 random{std::random_device{}()};
  unsigned ephemeral_low = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  const bool below = ephemeral_low > 2048;  // else no room below it: bind(0)
  std::uniform_int_distribution<unsigned> pick(below ? std::max(1024u, ephemeral_low - 12000) : 0,
                                               below ? ephemeral_low - 1 : 0);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(pick(random)));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    const bool bound =
        ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
    ::close(fd);
    if (bound) return ntohs(address.sin_port);
  }
  return 0;
}

}  // namespace cairn::test
