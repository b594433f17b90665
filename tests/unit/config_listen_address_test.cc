// HOST:PORT, the form of the configuration's listen addresses.
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "config/listen_address.h"

namespace cairn::config {
namespace {

ListenAddress parse_ok(std::string_view text) {
  auto result = parse_listen_address(text);
  if (auto* error = std::get_if<ListenAddressError>(&result)) {
    ADD_FAILURE() << "'" << text << "': " << error->why;
    return {};
  }
  return std::get<ListenAddress>(result);
}

std::string why(std::string_view text) {
  auto result = parse_listen_address(text);
  if (auto* error = std::get_if<ListenAddressError>(&result)) return error->why;
  ADD_FAILURE() << "'" << text << "' parsed";
  return "";
}

TEST(ConfigListenAddress, ReadsHostAndPort) {
  EXPECT_EQ(parse_ok("127.0.0.1:1883"), (ListenAddress{"127.0.0.1", 1883}));
  EXPECT_EQ(parse_ok("0.0.0.0:1"), (ListenAddress{"0.0.0.0", 1}));
  EXPECT_EQ(parse_ok("localhost:65535"), (ListenAddress{"localhost", 65535}));
  EXPECT_EQ(parse_ok("mqtt-1.example.com:8883"), (ListenAddress{"mqtt-1.example.com", 8883}));
  EXPECT_EQ(parse_ok("3com.net:80"), (ListenAddress{"3com.net", 80}));
}

TEST(ConfigListenAddress, ReadsBracketedIpv6) {
  EXPECT_EQ(parse_ok("[::1]:1883"), (ListenAddress{"::1", 1883}));
  EXPECT_EQ(parse_ok("[::]:1883"), (ListenAddress{"::", 1883}));
  EXPECT_EQ(parse_ok("[2001:db8::17]:9464"), (ListenAddress{"2001:db8::17", 9464}));
  EXPECT_EQ(parse_ok("[::ffff:192.0.2.1]:80"), (ListenAddress{"::ffff:192.0.2.1", 80}));
}

TEST(ConfigListenAddress, RoundTripsThroughToString) {
  for (const char* text : {"127.0.0.1:1883", "[::1]:1883", "localhost:9464", "[::]:1"}) {
    const ListenAddress address = parse_ok(text);
    EXPECT_EQ(to_string(address), text);
    EXPECT_EQ(parse_ok(to_string(address)), address);
  }
}

TEST(ConfigListenAddress, RefusesAMissingOrBadPort) {
  EXPECT_EQ(why("localhost"), "the ':PORT' is missing; expected HOST:PORT, as 127.0.0.1:1883");
  EXPECT_EQ(why("127.0.0.1:"), "the port after ':' is missing");
  EXPECT_EQ(why("[::1]:"), "the port after ':' is missing");
  EXPECT_EQ(why("127.0.0.1:0"), "the port must be between 1 and 65535");
  EXPECT_EQ(why("127.0.0.1:00000"), "the port must be between 1 and 65535");
  EXPECT_EQ(why("127.0.0.1:65536"), "the port must be between 1 and 65535");
  EXPECT_EQ(why("127.0.0.1:99999"), "the port must be between 1 and 65535");
  for (const char* text :
       {"127.0.0.1:123456", "127.0.0.1:18834294967296", "127.0.0.1:+1", "127.0.0.1:-1",
        "127.0.0.1: 1", "127.0.0.1:1 ", "127.0.0.1:0x10", "127.0.0.1:mqtt"}) {
    EXPECT_EQ(why(text), "the port must be a number between 1 and 65535") << text;
  }
}

TEST(ConfigListenAddress, RefusesABadHost) {
  EXPECT_EQ(why(""), "expected HOST:PORT, as 127.0.0.1:1883");
  EXPECT_EQ(why(":1883"), "the host is empty; use 0.0.0.0 or [::] to listen on every interface");
  EXPECT_EQ(why("256.0.0.1:1883"), "the host is not an IPv4 address");
  EXPECT_EQ(why("1.2.3:1883"), "the host is not an IPv4 address");
  EXPECT_EQ(why("1.2.3.4.:1883"), "the host is not an IPv4 address");
  for (const char* text : {"my host:1", "-host:1", "host-:1", "a..b:1", "host.:1", ".host:1",
                           "host_name:1", "h\xc3\xa9:1", "localhost;:1"}) {
    EXPECT_EQ(why(text), "the host is not a valid host name or IP address") << text;
  }
  EXPECT_EQ(why(std::string(64, 'a') + ":1"), "the host is not a valid host name or IP address");
  EXPECT_EQ(parse_ok(std::string(63, 'a') + ":1").host, std::string(63, 'a'));
  EXPECT_EQ(why(std::string("local\0host:1", 12)),
            "the host is not a valid host name or IP address");
}

TEST(ConfigListenAddress, RefusesIpv6WithoutBracketsOrBroken) {
  EXPECT_EQ(why("::1:1883"), "an IPv6 address needs brackets, as [::1]:1883");
  EXPECT_EQ(why("::"), "an IPv6 address needs brackets, as [::1]:1883");
  EXPECT_EQ(why("[::1"), "an IPv6 address needs its closing ']', as [::1]:1883");
  EXPECT_EQ(why("[::1]1883"), "expected ':PORT' after ']', as [::1]:1883");
  EXPECT_EQ(why("[::1]"), "expected ':PORT' after ']', as [::1]:1883");
  EXPECT_EQ(why("[]:1883"), "the host in [...] is not an IPv6 address");
  EXPECT_EQ(why("[127.0.0.1]:1883"), "the host in [...] is not an IPv6 address");
  EXPECT_EQ(why("[localhost]:1883"), "the host in [...] is not an IPv6 address");
  EXPECT_EQ(why(std::string("[::1\0junk]:1883", 15)), "the host in [...] is not an IPv6 address");
}

}  // namespace
}  // namespace cairn::config
