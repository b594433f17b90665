#include "load/tls.h"

#include <boost/asio/ip/address.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "load/options.h"

namespace cairn::load {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error(const std::string& fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

std::shared_ptr<TlsClient> TlsClient::make(const Options& options, std::string& error) {
  ssl::context context(ssl::context::tls_client);
  SSL_CTX* ctx = context.native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(ctx,
                                options.tls_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  if (options.tls_version == "1.2") SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  // Full handshakes only: no session is kept, so none can be resumed.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
  if (options.cafile.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      error = "cannot load the system's CA certificates: " + openssl_error("unknown error");
      return nullptr;
    }
  } else if (SSL_CTX_load_verify_locations(ctx, options.cafile.c_str(), nullptr) != 1) {
    error = "--cafile " + options.cafile + ": " + openssl_error("no usable PEM certificate");
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  // The certificate must name the host: an IP address against its IP
  // subjectAltNames, a DNS name against its DNS names.
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  boost::system::error_code not_address;
  asio::ip::make_address(options.host, not_address);
  const bool is_address = !not_address;
  const int set = is_address ? X509_VERIFY_PARAM_set1_ip_asc(param, options.host.c_str())
                             : X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), 0);
  if (set != 1) {
    error = "cannot verify certificates for host " + options.host + ": " +
            openssl_error("unusable host name");
    return nullptr;
  }
  auto client = std::make_shared<TlsClient>(std::move(context), options.host);
  client->host_is_address_ = is_address;
  return client;
}

std::unique_ptr<TlsClient::Stream> TlsClient::stream(asio::ip::tcp::socket& socket) {
  auto stream = std::make_unique<Stream>(socket, context_);
  if (!host_is_address_) SSL_set_tlsext_host_name(stream->native_handle(), host_.c_str());
  return stream;
}

}  // namespace cairn::load
