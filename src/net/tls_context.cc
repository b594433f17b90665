#include "net/tls_context.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace cairn::net {
namespace {

namespace ssl = boost::asio::ssl;

// What went wrong with `file` at `key`: the system's reason when the file
// cannot be opened at all (the likely mistake), else OpenSSL's.
std::string file_problem(const std::string& key, const std::string& file, const char* doing) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) {
    const int error = errno;
    ERR_clear_error();
    return key + ": cannot read " + file + ": " + std::strerror(error);
  }
  std::fclose(f);
  return key + ": cannot " + doing + " " + file + ": " + openssl_error_text("no usable PEM data");
}

std::string x509_name_entry(X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

std::string first_alt_name(X509* cert) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return {};
  std::string found;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && found.empty(); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_DNS && name->type != GEN_EMAIL && name->type != GEN_URI) continue;
    const ASN1_IA5STRING* text = name->d.ia5;  // the three are IA5 strings
    found.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                 static_cast<std::size_t>(ASN1_STRING_length(text)));
  }
  GENERAL_NAMES_free(names);
  return found;
}

}  // namespace

std::string openssl_error_text(const std::string& fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  const char* reason = ERR_reason_error_string(code);
  if (reason != nullptr) return reason;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

std::variant<std::shared_ptr<ssl::context>, TlsContextError> make_tls_context(
    const config::ListenerConfig& listener, const std::string& key) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(
      ctx, listener.tls_min_version == config::TlsVersion::k1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
  // Renegotiation is a denial-of-service lever (a client asks for handshake
  // after handshake) that MQTT has no use for; compression is CRIME.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, listener.cert_file.c_str()) != 1) {
    return TlsContextError{file_problem(key + ".cert_file", listener.cert_file, "load")};
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, listener.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return TlsContextError{file_problem(key + ".key_file", listener.key_file, "load")};
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return TlsContextError{key + ".key_file: " + listener.key_file + " does not match " +
                           listener.cert_file + " (" + key +
                           ".cert_file): " + openssl_error_text("key mismatch")};
  }
  if (!listener.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, listener.ciphers.c_str()) != 1) {
    return TlsContextError{key + ".ciphers: no usable cipher in '" + listener.ciphers +
                           "': " + openssl_error_text("unknown cipher")};
  }
  if (!listener.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, listener.ciphersuites.c_str()) != 1) {
    return TlsContextError{key + ".ciphersuites: no usable suite in '" + listener.ciphersuites +
                           "': " + openssl_error_text("unknown cipher suite")};
  }
  if (!listener.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, listener.ca_file.c_str(), nullptr) != 1) {
      return TlsContextError{file_problem(key + ".ca_file", listener.ca_file, "load")};
    }
    // The CAs are named in the CertificateRequest, so a client holding
    // several certificates can pick the right one.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(listener.ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
  }
  if (listener.require_certificate) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  ERR_clear_error();
  return context;
}

std::optional<std::string> certificate_identity(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  std::string identity = x509_name_entry(X509_get_subject_name(cert), NID_commonName);
  if (identity.empty()) identity = first_alt_name(cert);
  X509_free(cert);
  if (identity.empty()) return std::nullopt;
  return identity;
}

}  // namespace cairn::net
