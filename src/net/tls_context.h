// TLS contexts of the mqtts and wss listeners, built from a ListenerConfig,
// and what the broker reads off a client's certificate.
//
// A context is built at start-up and again on SIGHUP (Listener::reload_tls);
// each connection keeps a shared_ptr to the context it was accepted with, so
// replacing a listener's context never pulls one from under an open
// connection.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>

#include "config/listener_config.h"

namespace cairn::net {

struct TlsContextError {
  // Names the key, e.g. "listener[1].cert_file: cannot read /x: No such file
  // or directory".
  std::string message;
};

// `key` prefixes messages: "listener[1]". Reads every file now, so a missing
// or mismatched file is found at start-up (or at the reload), not by the
// first client.
std::variant<std::shared_ptr<boost::asio::ssl::context>, TlsContextError> make_tls_context(
    const config::ListenerConfig& listener, const std::string& key);

// The peer certificate's subject CN or, when it has none, its first subject
// alternative name of type DNS, email or URI; nullopt without a certificate
// or any of those.
std::optional<std::string> certificate_identity(SSL* ssl);

// The first OpenSSL error on this thread's queue, as text ("certificate
// verify failed", ...), or `fallback`; the queue is cleared.
std::string openssl_error_text(const std::string& fallback);

}  // namespace cairn::net
