// TlsClient: cairn-load's TLS settings (--tls), one OpenSSL client context
// shared by every connection of a run.
//
// The broker's certificate is verified against --cafile (else the system's
// CAs) and must name --host (a DNS name or IP address in its subjectAltName).
// Every connection makes a full handshake: the context keeps no session cache
// and nothing is ever resumed, so a connection costs what a new client's
// first connection costs. --tls-version pins the protocol (1.2 or 1.3);
// otherwise the client offers 1.2 and 1.3 and the broker chooses.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace cairn::load {

struct Options;

class TlsClient {
 public:
  // A stream over a socket its owner keeps (and closes).
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;

  // Builds the context from the options; on failure returns nullptr and sets
  // `error`.
  static std::shared_ptr<TlsClient> make(const Options& options, std::string& error);

  // A new stream over `socket`, with the server name (SNI) set when the host
  // is a DNS name.
  std::unique_ptr<Stream> stream(boost::asio::ip::tcp::socket& socket);

  explicit TlsClient(boost::asio::ssl::context context, std::string host)
      : context_(std::move(context)), host_(std::move(host)) {}

 private:
  boost::asio::ssl::context context_;
  std::string host_;
  bool host_is_address_ = false;
};

}  // namespace cairn::load
