#include "net/transport.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace httvps::net {

namespace {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::string base64url(const unsigned char* data, std::size_t len) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < len; i += 3) {
    unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (len - i == 1) {
    unsigned v = data[i] << 16;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
  } else if (len - i == 2) {
    unsigned v = (data[i] << 16) | (data[i + 1] << 8);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
  }
  return out;
}

std::string spki_pin(X509* cert) {
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &p);
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hlen = 0;
  EVP_Digest(der.data(), der.size(), hash, &hlen, EVP_sha256(), nullptr);
  return "sha256:" + base64url(hash, hlen);
}

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(int fd) noexcept : fd_(fd) {}
  ~PlainTransport() override { close(fd_); }
  int fd() const noexcept override { return fd_; }
  IoResult handshake() noexcept override { return {IoStatus::kOk, 0}; }
  IoResult read(std::span<std::uint8_t> out) noexcept override { return read_some(fd_, out); }
  IoResult write(std::span<const std::uint8_t> in) noexcept override { return write_some(fd_, in); }
  std::string error() const noexcept override { return std::strerror(errno); }

 private:
  int fd_;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(int fd, std::shared_ptr<TlsContext> ctx, SSL* ssl, std::string pin) noexcept
      : fd_(fd), ctx_(std::move(ctx)), ssl_(ssl), pin_(std::move(pin)) {}
  ~TlsTransport() override {
    SSL_free(ssl_);
    close(fd_);
  }
  int fd() const noexcept override { return fd_; }

  IoResult handshake() noexcept override {
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl_);
    if (rc == 1) {
      if (!pin_.empty()) {
        X509* cert = SSL_get1_peer_certificate(ssl_);
        std::string got = cert ? spki_pin(cert) : std::string();
        X509_free(cert);
        if (got != pin_) {
          error_ = "the gateway's public key does not match the pin (it has " + (got.empty() ? "none" : got) + ")";
          return {IoStatus::kError, 0};
        }
      }
      return {IoStatus::kOk, 0};
    }
    return status(rc);
  }

  IoResult read(std::span<std::uint8_t> out) noexcept override {
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_read_ex(ssl_, out.data(), out.size(), &n);
    if (rc == 1) return {IoStatus::kOk, n};
    return status(0);
  }

  IoResult write(std::span<const std::uint8_t> in) noexcept override {
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_write_ex(ssl_, in.data(), in.size(), &n);
    if (rc == 1) return {IoStatus::kOk, n};
    return status(0);
  }

  std::string error() const noexcept override { return error_; }

 private:
  IoResult status(int rc) noexcept {
    switch (SSL_get_error(ssl_, rc)) {
      case SSL_ERROR_WANT_READ:
        return {IoStatus::kWantRead, 0};
      case SSL_ERROR_WANT_WRITE:
        return {IoStatus::kWantWrite, 0};
      case SSL_ERROR_ZERO_RETURN:
        return {IoStatus::kEof, 0};
      case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
          error_ = errno != 0 ? std::strerror(errno) : "connection closed without close_notify";
          // An unclean close of the transport: treat it as the end of the stream.
          return {errno == 0 ? IoStatus::kEof : IoStatus::kError, 0};
        }
        error_ = openssl_error();
        return {IoStatus::kError, 0};
      default: {
        long verify = SSL_get_verify_result(ssl_);
        error_ = verify != X509_V_OK ? std::string("certificate: ") + X509_verify_cert_error_string(verify)
                                     : openssl_error();
        return {IoStatus::kError, 0};
      }
    }
  }

  int fd_;
  std::shared_ptr<TlsContext> ctx_;
  SSL* ssl_;
  std::string pin_;
  std::string error_;
};

}  // namespace

std::unique_ptr<Transport> make_plain_transport(int fd) noexcept { return std::make_unique<PlainTransport>(fd); }

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::shared_ptr<TlsContext> TlsContext::server(const std::string& cert_file, const std::string& key_file,
                                               std::string& error) noexcept {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    error = openssl_error();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    error = "cannot load the certificate '" + cert_file + "': " + openssl_error();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "cannot load the private key '" + key_file + "': " + openssl_error();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    error = "the private key '" + key_file + "' does not match the certificate '" + cert_file + "'";
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return std::shared_ptr<TlsContext>(new TlsContext(ctx));
}

std::shared_ptr<TlsContext> TlsContext::client(std::string& error) noexcept {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    error = openssl_error();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_default_verify_paths(ctx);
  return std::shared_ptr<TlsContext>(new TlsContext(ctx));
}

std::unique_ptr<Transport> make_tls_server_transport(int fd, std::shared_ptr<TlsContext> ctx) noexcept {
  SSL* ssl = SSL_new(ctx->get());
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    close(fd);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsTransport>(fd, std::move(ctx), ssl, std::string());
}

std::unique_ptr<Transport> make_tls_client_transport(int fd, std::shared_ptr<TlsContext> ctx,
                                                     const TlsContext::ClientOptions& options) noexcept {
  SSL* ssl = SSL_new(ctx->get());
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    close(fd);
    return nullptr;
  }
  SSL_set_connect_state(ssl);
  bool is_ip = numeric_address(options.server_name, 1).has_value();
  if (!options.server_name.empty() && !is_ip) SSL_set_tlsext_host_name(ssl, options.server_name.c_str());
  if (options.insecure || !options.pin.empty()) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), options.server_name.c_str());
    } else {
      SSL_set1_host(ssl, options.server_name.c_str());
    }
  }
  return std::make_unique<TlsTransport>(fd, std::move(ctx), ssl, options.insecure ? std::string() : options.pin);
}

std::string spki_pin_of_file(const std::string& pem_file, std::string& error) noexcept {
  FILE* f = std::fopen(pem_file.c_str(), "r");
  if (f == nullptr) {
    error = "cannot read '" + pem_file + "': " + std::strerror(errno);
    return {};
  }
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) {
    error = "'" + pem_file + "' holds no PEM certificate";
    return {};
  }
  std::string pin = spki_pin(cert);
  X509_free(cert);
  return pin;
}

}  // namespace httvps::net
