// libFuzzer target for the server side of MQTT over WebSocket: the path
// bytes -> upgrade request -> WebSocket frames -> MQTT packets.
//
// It does what net::Transport's WebSocket handshake and Connection's reads do
// (src/net/transport.cc, src/net/connection.cc), synchronously, over
// Boost.Beast's in-memory test stream: no network, no thread, no sleep.
//   1. The upgrade request is read with http::read into a request_parser with
//      the listener's limits (8 KiB of header, no body) and judged by
//      net::check_upgrade for the path "/mqtt". A refusal is answered as the
//      listener answers it (status, "Connection: close", the reason) and ends
//      the input.
//   2. An accepted request goes to websocket::stream::accept with cairn's
//      options: the decorator that answers "Sec-WebSocket-Protocol: mqtt",
//      binary(true), read_message_max(0).
//   3. The remaining bytes are what the client sends after the 101: read with
//      websocket::stream::read_some into a payload buffer, as Connection does
//      (a text message ends the connection, [MQTT-6.0.0-1]), and every payload
//      is decoded in place by an mqtt::FrameDecoder (3.1.1 until a CONNECT says
//      otherwise, as a connection starts) until it needs more or fails. Pings
//      are answered and a close frame ends the read, inside Beast.
//
// Input layout: [selector][request][frames]
//   selector (the first byte):
//     bits 0-2  the most bytes one read of the transport returns after the
//               upgrade: 0 = all there is, then 1, 2, 3, 7, 16, 125, 1000
//     bits 3-4  the payload buffer read_some fills: 0 = 16 KiB (cairn's read
//               buffer), 1 = 1 byte, 2 = 7 bytes, 3 = 256 bytes
//     bits 5-6  the decoder's maximum packet size: 0 = 1 MiB (the default
//               limits.max_packet_size), 1 = 64 KiB, 2 = 16 bytes, 3 = 2 bytes
//     bit 7     the request arrives one byte per read (else all at once)
//   request: the bytes up to and including the first "\r\n\r\n"; without one,
//     all the rest (a request the client never finishes);
//   frames: everything after it, sent after the 101 as RFC 6455 §4.1 has a
//     client do. (A client that pipelines its first frames with the request
//     takes another path in src/net/transport.cc: the request is replayed
//     into the accept with them; integration.websocket_listeners tests it.)
//
// Properties checked, beyond "no crash, leak, hang, sanitizer report or
// escaping exception":
//   - check_upgrade accepts only a GET upgrade for "/mqtt" (query ignored)
//     offering "mqtt"; a refusal is 400 or 404 with a non-empty reason free of
//     control characters (it goes to the log and to the client);
//   - a successful accept answered 101 with "Sec-WebSocket-Protocol: mqtt" and
//     "Server: cairn";
//   - the reads make progress: never more payload bytes than frame bytes,
//     never more reads than the input can pay for.
// A broken property prints what broke to stderr and traps, so libFuzzer saves
// the input as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "mqtt/decode_result.h"
#include "mqtt/frame_decoder.h"
#include "mqtt/protocol_version.h"
#include "net/websocket_upgrade.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

using cairn::mqtt::DecodeError;
using cairn::mqtt::DecodeResult;
using cairn::mqtt::FrameDecoder;
using cairn::mqtt::NeedMore;

// As src/net/transport.cc.
constexpr std::size_t kReadBufferBytes = 16 * 1024;
constexpr std::size_t kMaxUpgradeRequestBytes = 8 * 1024;
// The listener's path (config: [[listener]] path, default "/mqtt").
constexpr std::string_view kPath = "/mqtt";

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "websocket_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  __builtin_trap();
}

constexpr std::size_t kTransportReads[8] = {0, 1, 2, 3, 7, 16, 125, 1000};  // 0: unlimited
constexpr std::size_t kPayloadBuffers[4] = {kReadBufferBytes, 1, 7, 256};
constexpr std::uint32_t kMaxPacketSizes[4] = {1024 * 1024, 64 * 1024, 16, 2};

bool has_control_character(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7F) return true;
  }
  return false;
}

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

// What check_upgrade must say, from the request alone.
void check_verdict(const http::request<http::string_body>& request,
                   const cairn::net::UpgradeVerdict& verdict) {
  if (!verdict.accept) {
    if (verdict.status != http::status::bad_request && verdict.status != http::status::not_found) {
      fail("a refusal is neither 400 nor 404", verdict.why);
    }
    if (verdict.why.empty()) fail("a refusal without a reason", "");
    if (has_control_character(verdict.why)) fail("a control character in the reason", verdict.why);
    return;
  }
  if (!websocket::is_upgrade(request)) fail("accepted a request that is no upgrade", "");
  std::string_view target = view(request.target());
  target = target.substr(0, target.find('?'));
  if (target != kPath) fail("accepted another path", target);
  if (!cairn::net::offers_mqtt(view(request[http::field::sec_websocket_protocol]))) {
    fail("accepted a request that does not offer mqtt", "");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t end_of_request = input.find("\r\n\r\n");
  const std::size_t request_bytes =
      end_of_request == std::string_view::npos ? input.size() : end_of_request + 4;
  const std::string_view request_text = input.substr(0, request_bytes);
  const std::string_view frames = input.substr(request_bytes);

  // One io_context for every input: the test streams need one for their
  // executor; nothing here is asynchronous.
  static asio::io_context ioc;

  // 1. The upgrade request, read as Transport::websocket_handshake reads it.
  http::request<http::string_body> request;
  {
    beast::test::stream client_request(
        ioc, beast::string_view(request_text.data(), request_text.size()));
    client_request.close_remote();  // the client waits for the answer
    if (selector & 0x80) client_request.read_size(1);
    beast::flat_buffer http_buffer(kMaxUpgradeRequestBytes);
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxUpgradeRequestBytes);
    parser.body_limit(0);  // an upgrade request has no body
    boost::system::error_code ec;
    http::read(client_request, http_buffer, parser, ec);
    if (ec) return 0;  // the listener logs "reading the upgrade request: ..."
    request = parser.release();
  }

  const cairn::net::UpgradeVerdict verdict = cairn::net::check_upgrade(request, kPath);
  check_verdict(request, verdict);

  websocket::stream<beast::test::stream> ws(ioc);
  beast::test::stream client(ioc);  // receives what the server writes
  ws.next_layer().connect(client);

  if (!verdict.accept) {
    // Answered as the listener answers, then closed.
    http::response<http::string_body> response(verdict.status, request.version());
    response.set(http::field::server, "cairn");
    response.set(http::field::connection, "close");
    response.body() = verdict.why + "\n";
    response.prepare_payload();
    boost::system::error_code ec;
    http::write(ws.next_layer(), response, ec);
    if (ec) fail("writing the refusal", ec.message());
    return 0;
  }

  // 2. The accept, with cairn's options.
  ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(http::field::sec_websocket_protocol, std::string(cairn::net::kMqttSubprotocol));
    response.set(http::field::server, "cairn");
  }));
  ws.binary(true);
  ws.read_message_max(0);
  {
    boost::system::error_code ec;
    ws.accept(request, ec);
    if (ec) return 0;  // Beast answered the refusal itself (400, 426)
    const std::string_view answer = view(client.str());
    if (answer.find(" 101 ") == std::string_view::npos ||
        answer.find("\r\nSec-WebSocket-Protocol: mqtt\r\n") == std::string_view::npos ||
        answer.find("\r\nServer: cairn\r\n") == std::string_view::npos) {
      fail("an accepted upgrade's answer", answer);
    }
    client.clear();
  }

  // 3. The frames, read as Connection reads a WebSocket transport.
  ws.next_layer().append(beast::string_view(frames.data(), frames.size()));
  ws.next_layer().close_remote();
  if (const std::size_t most = kTransportReads[selector & 0x7]; most != 0) {
    ws.next_layer().read_size(most);
  }
  std::vector<std::uint8_t> buffer(kPayloadBuffers[(selector >> 3) & 0x3]);
  FrameDecoder decoder(cairn::mqtt::ProtocolVersion::kV311, kMaxPacketSizes[(selector >> 5) & 0x3]);

  std::size_t payload_bytes = 0;
  // Every read consumes a payload byte or a frame header (2 bytes at least),
  // and the last one sees the end of the stream.
  const std::size_t most_reads = frames.size() + 2;
  for (std::size_t reads = 0;; ++reads) {
    if (reads > most_reads) fail("read_some makes no progress", "");
    boost::system::error_code ec;
    const std::size_t bytes = ws.read_some(asio::buffer(buffer), ec);
    if (ec) break;             // end of stream, a close frame, a WebSocket protocol error
    if (ws.got_text()) break;  // Transport: invalid_argument [MQTT-6.0.0-1]
    payload_bytes += bytes;
    if (payload_bytes > frames.size()) fail("more payload than frame bytes", "");
    if (bytes > buffer.size()) fail("read_some overfilled its buffer", "");

    std::span<const std::uint8_t> payload(buffer.data(), bytes);
    bool failed = false;
    for (;;) {
      DecodeResult result = decoder.next_from(payload);
      if (std::holds_alternative<NeedMore>(result)) {
        if (!payload.empty()) fail("next_from() said NeedMore with input left", "");
        break;
      }
      if (std::holds_alternative<DecodeError>(result)) {
        failed = true;  // Connection answers and closes
        break;
      }
    }
    if (failed) break;
    client.clear();  // pongs and the like, nobody reads them
  }
  return 0;
}
